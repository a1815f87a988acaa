// An immutable, fully encoded view of what one node group receives. Each resource is encoded
// once (toBinary's bytes; see bytesOf) and wrapped in one shared Any that every stream sends
// (xDS rule 8, docs/XDS.md); versions are content hashes, so two replicas or a restart produce
// the same versions (rule 4).
import * as nodeCrypto from 'node:crypto';
import { create, type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { type Any, AnySchema } from '@bufbuild/protobuf/wkt';
import type { Issue } from '../../../kernel/errors/index.js';
import { runSteps } from '../../../kernel/runtime/steps.js';
import type { Cluster } from '../../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { Listener } from '../../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import type { RouteConfiguration } from '../../../protos/gen/envoy/config/route/v3/route_pb.js';
import { encodingOf } from '../../resources/index.js';
import { clusterBytes } from '../../translate/encode/cluster-bytes.js';
import type { ResourceSet } from '../../translate/types.js';
import { checkConsistency, type ReferenceView } from '../../validate/consistency.js';
import { clusterRefs, listenerRefs, routeClusters } from '../../validate/references.js';
import { PUSH_ORDER, RESOURCE_TYPES, TYPE, type TypeUrl } from '../resource-types.js';
import { RouteConfigEncoder } from './piecewise.js';

/** Names of other resources this one needs (see validate/references.ts). */
export interface ResourceRefs {
  readonly clusters?: readonly string[];
  readonly routes?: readonly string[];
  readonly eds?: string;
  readonly secrets?: readonly string[];
}

export interface EncodedResource {
  readonly name: string;
  /** Content hash of the encoded bytes: the resource's version in delta xDS. */
  readonly version: string;
  readonly any: Any;
  readonly refs: ResourceRefs;
}

export interface TypeSnapshot {
  /** Content hash over every (name, version) of the type: the SotW version_info. */
  readonly version: string;
  readonly resources: ReadonlyMap<string, EncodedResource>;
}

// A one-shot digest (Node 20.12 and later, so every Node the package's engines allow), about half
// the time of a Hash object per call for the few hundred bytes most resources are: 120,000
// resources in a 10,000-model Envoy build. This @types/node does not declare it yet.
const sha256Hex = (
  nodeCrypto as unknown as { hash(algorithm: 'sha256', data: Uint8Array | string, encoding: 'hex'): string }
).hash;

export function contentHash(data: Uint8Array | string): string {
  return sha256Hex('sha256', data, 'hex').slice(0, 16);
}

/** Version of a list of resources: stable under reordering. */
export function versionOf(resources: Iterable<EncodedResource>): string {
  const parts = [...resources].map((r) => `${r.name}\0${r.version}`).sort();
  return contentHash(parts.join('\n'));
}

const views = new WeakMap<TypeSnapshot, Map<string, unknown>>();

/** One type's names with what each references; kept with the (immutable) TypeSnapshot. */
function viewOf<T>(t: TypeSnapshot, refs: (r: EncodedResource) => T): Map<string, T> {
  let view = views.get(t) as Map<string, T> | undefined;
  if (!view) {
    view = new Map([...t.resources].map(([n, r]) => [n, refs(r)]));
    views.set(t, view);
  }
  return view;
}

const names = new WeakMap<TypeSnapshot, ReadonlySet<string>>();

function namesOf(t: TypeSnapshot): ReadonlySet<string> {
  let set = names.get(t);
  if (!set) {
    set = new Set(t.resources.keys());
    names.set(t, set);
  }
  return set;
}

const EMPTY_TYPE: TypeSnapshot = { version: versionOf([]), resources: new Map() };

export class Snapshot {
  /** Hash of the per-type versions: one token for "same configuration" across replicas. */
  readonly version: string;
  /** `version` is given only for a throwaway view (SnapshotEncoder.precheck). */
  constructor(
    readonly types: ReadonlyMap<TypeUrl, TypeSnapshot>,
    version?: string,
  ) {
    this.version = version ?? contentHash(PUSH_ORDER.map((t) => this.type(t).version).join('.'));
  }
  type(url: TypeUrl): TypeSnapshot {
    return this.types.get(url) ?? EMPTY_TYPE;
  }
  /** Names and references, for the consistency check; each type's part is built once per TypeSnapshot. */
  referenceView(): ReferenceView {
    return {
      listeners: viewOf(this.type(TYPE.LDS), (r) => ({
        routes: r.refs.routes ?? [],
        clusters: r.refs.clusters ?? [],
        secrets: r.refs.secrets ?? [],
      })),
      routes: viewOf(this.type(TYPE.RDS), (r) => r.refs.clusters ?? []),
      clusters: viewOf(this.type(TYPE.CDS), (r) => ({
        ...(r.refs.eds !== undefined ? { eds: r.refs.eds } : {}),
        secrets: r.refs.secrets ?? [],
      })),
      endpoints: namesOf(this.type(TYPE.EDS)),
      secrets: namesOf(this.type(TYPE.SDS)),
    };
  }
  static readonly EMPTY = new Snapshot(new Map());
}

function nameOf(url: TypeUrl, msg: Message): string {
  if (url === TYPE.EDS) return (msg as unknown as { clusterName: string }).clusterName;
  return (msg as unknown as { name: string }).name;
}

function refsOf(url: TypeUrl, msg: Message): ResourceRefs {
  switch (url) {
    case TYPE.RDS:
      return { clusters: routeClusters(msg as RouteConfiguration) };
    case TYPE.LDS:
      return listenerRefs(msg as Listener);
    case TYPE.CDS:
      return clusterRefs(msg as Cluster);
    default:
      return {};
  }
}

/**
 * A resource's encoding: the bytes it was written as (assignments), a cluster through the memo
 * encoder (shared sub-messages encoded once: translate/encode/cluster-bytes.ts), else toBinary.
 */
function bytesOf(url: TypeUrl, schema: DescMessage, msg: Message): Uint8Array {
  if (url === TYPE.CDS) return clusterBytes(msg as Cluster);
  return encodingOf(msg) ?? toBinary(schema, msg);
}

/**
 * Encodes ResourceSets into Snapshots. It remembers what it encoded, by message identity and by
 * content, so a translator that reuses unchanged message objects pays nothing for them, and an
 * unchanged resource keeps sharing one byte buffer across snapshots.
 */
export class SnapshotEncoder {
  /**
   * `byMessage` may be shared between the encoders of groups that receive the same message
   * objects (the capability sets of one flavor): a message's encoding depends on nothing else.
   */
  constructor(private readonly byMessage = new WeakMap<object, EncodedResource>()) {}
  private byVersion = new Map<string, EncodedResource>();
  private lastTypes = new Map<TypeUrl, TypeSnapshot>();
  /** Per type, the resources of the last build in the set's order (unchanged: same snapshot). */
  private lastLists = new Map<TypeUrl, readonly EncodedResource[]>();
  /** Route configurations are assembled from cached per-host pieces (piecewise.ts). */
  private readonly routeConfigs = new RouteConfigEncoder();
  encodedCount = 0;

  /** `encode`, a route configuration's new routes first, one step each (piecewise.ts). */
  private *encodeSteps(url: TypeUrl, schema: DescMessage, msg: Message): Generator<void, EncodedResource> {
    if (url === TYPE.RDS && !this.byMessage.has(msg))
      yield* this.routeConfigs.warmSteps(msg as RouteConfiguration);
    return this.encode(url, schema, msg);
  }

  private encode(url: TypeUrl, schema: DescMessage, msg: Message): EncodedResource {
    const known = this.byMessage.get(msg);
    if (known) return known;
    const rc = url === TYPE.RDS ? (msg as RouteConfiguration) : undefined;
    const bytes = rc ? this.routeConfigs.encode(rc) : bytesOf(url, schema, msg);
    this.encodedCount++;
    const version = contentHash(bytes);
    const name = nameOf(url, msg);
    const key = `${url}\0${name}\0${version}`;
    let res = this.byVersion.get(key);
    if (!res) {
      const refs = rc ? { clusters: this.routeConfigs.clusters(rc) } : refsOf(url, msg);
      res = { name, version, any: create(AnySchema, { typeUrl: url, value: bytes }), refs };
      this.byVersion.set(key, res);
    }
    this.byMessage.set(msg, res);
    return res;
  }

  /**
   * Encodes part of a set ahead of `build` (into the same cache, so `build` does not encode it
   * again) and returns what `build` would report for it plus the references it cannot resolve
   * within itself. The snapshot publisher checks each model this way (isolation per model);
   * the last built snapshot is left alone. Throws what toBinary throws (a NaN uint32).
   */
  precheck(set: ResourceSet): Issue[] {
    return runSteps(this.precheckSteps(set));
  }

  /** `precheck`, yielding after each resource it encodes. */
  *precheckSteps(set: ResourceSet): Generator<void, Issue[]> {
    const issues: Issue[] = [];
    const byType = new Map<TypeUrl, Map<string, EncodedResource>>();
    for (const url of PUSH_ORDER) {
      const info = RESOURCE_TYPES[url];
      const resources = new Map<string, EncodedResource>();
      byType.set(url, resources);
      for (const msg of set[info.field] as readonly Message[]) {
        const r = yield* this.encodeSteps(url, info.schema, msg);
        if (!r.name) issues.push({ path: `${info.field}`, message: `a ${info.short} resource has no name` });
        else if (resources.has(r.name))
          issues.push({ path: `${info.field}[${r.name}]`, message: 'duplicate resource name' });
        else resources.set(r.name, r);
        yield;
      }
    }
    if (issues.length) return issues;
    const types = new Map([...byType].map(([url, resources]) => [url, { version: '', resources }]));
    return checkConsistency(new Snapshot(types, '').referenceView());
  }

  /** Encode a set; duplicate names within a type are returned as issues (first one wins). */
  build(set: ResourceSet): { snapshot: Snapshot; issues: Issue[] } {
    return runSteps(this.buildSteps(set));
  }

  /**
   * `build`, yielding after each resource and each type: a snapshot of thousands of models is
   * tens of milliseconds of work even when only one model's resources are new.
   */
  *buildSteps(set: ResourceSet): Generator<void, { snapshot: Snapshot; issues: Issue[] }> {
    const issues: Issue[] = [];
    const types = new Map<TypeUrl, TypeSnapshot>();
    const live = new Set<EncodedResource>();
    for (const url of PUSH_ORDER) {
      const info = RESOURCE_TYPES[url];
      const list: EncodedResource[] = [];
      const names = new Set<string>();
      for (const msg of set[info.field] as readonly Message[]) {
        const r = yield* this.encodeSteps(url, info.schema, msg);
        live.add(r);
        if (!r.name) issues.push({ path: `${info.field}`, message: `a ${info.short} resource has no name` });
        else if (names.has(r.name))
          issues.push({ path: `${info.field}[${r.name}]`, message: 'duplicate resource name' });
        else {
          names.add(r.name);
          list.push(r);
        }
        yield;
      }
      // An unchanged type keeps its object, so streams can tell "unchanged" by identity; the
      // same resources in the same order are unchanged without sorting or hashing them again.
      const last = this.lastTypes.get(url);
      if (last && sameItems(this.lastLists.get(url), list)) {
        types.set(url, last);
        continue;
      }
      this.lastLists.set(url, list);
      yield;
      const sortedMap = new Map(
        list.map((r) => [r.name, r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      const version = versionOf(sortedMap.values());
      types.set(url, last?.version === version ? last : { version, resources: sortedMap });
      yield;
    }
    this.lastTypes = types;
    // Forget encodings no snapshot uses any more; the WeakMap forgets on its own.
    for (const [k, r] of this.byVersion) if (!live.has(r)) this.byVersion.delete(k);
    return { snapshot: new Snapshot(types), issues };
  }
}

function sameItems(a: readonly object[] | undefined, b: readonly object[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
