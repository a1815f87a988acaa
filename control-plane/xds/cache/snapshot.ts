// An immutable, fully encoded view of what one node group receives. Each resource is encoded
// once (toBinary's bytes; see bytesOf) and wrapped in one shared Any that every stream sends
// (xDS rule 8, docs/XDS.md); versions are content hashes, so two replicas or a restart produce
// the same versions (rule 4).
import { create, type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
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
import { contentHash, type EncodedResource, type ResourceRefs, type TypeSnapshot } from './encoded.js';
import { RouteConfigEncoder } from './piecewise.js';
import { patchType, type TypeRecord, versionOf, wholeType } from './type-record.js';

export {
  contentHash,
  type EncodedResource,
  type ResourceRefs,
  type TypeSnapshot,
} from './encoded.js';
export { versionOf } from './type-record.js';

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
  /** Per type, what the last build made of it: the next build patches it (type-record.ts). */
  private lastBuilt = new Map<TypeUrl, LastType>();
  /** Route configurations are assembled from cached per-host pieces (piecewise.ts). */
  private readonly routeConfigs = new RouteConfigEncoder();
  encodedCount = 0;
  /** Types patched from the last build rather than built whole (tests, benchmarks). */
  patchedCount = 0;

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

  /**
   * Encodes a set's resources into the cache, so that a later build finds them, without building
   * a snapshot: the last build stays the one the next build patches.
   */
  warm(set: ResourceSet): void {
    for (const url of PUSH_ORDER) {
      const info = RESOURCE_TYPES[url];
      for (const msg of set[info.field] as readonly Message[]) this.encode(url, info.schema, msg);
    }
  }

  /** Encode a set; duplicate names within a type are returned as issues (first one wins). */
  build(set: ResourceSet): { snapshot: Snapshot; issues: Issue[] } {
    return runSteps(this.buildSteps(set));
  }

  /**
   * `build`, yielding after each resource it encodes and each type: a snapshot of thousands of
   * models is tens of milliseconds of work even when only one model's resources are new. A type
   * whose messages are the last build's, position by position, except for a few replaced under
   * the same names is patched (type-record.ts): what a small change costs is then its own
   * resources plus a pass over the type, not a sort and a rebuild of every type it touches.
   */
  *buildSteps(set: ResourceSet): Generator<void, { snapshot: Snapshot; issues: Issue[] }> {
    const issues: Issue[] = [];
    const types = new Map<TypeUrl, TypeSnapshot>();
    const built = new Map<TypeUrl, LastType>();
    let whole = false;
    for (const url of PUSH_ORDER) {
      const msgs = set[RESOURCE_TYPES[url].field] as readonly Message[];
      const last = this.lastBuilt.get(url);
      const patched = last ? yield* this.patchSteps(url, msgs, last) : undefined;
      if (patched) {
        types.set(url, patched.record.type);
        built.set(url, patched);
        continue;
      }
      whole = true;
      const next = yield* this.wholeSteps(url, msgs, last, issues);
      types.set(url, next.record.type);
      built.set(url, next);
    }
    this.lastBuilt = built;
    // Forget encodings no snapshot uses any more (the WeakMap forgets on its own): after a
    // whole build, or once what patches replaced (and prechecks of models that never made it
    // in) has grown the cache past twice what the snapshot holds.
    let held = 0;
    for (const t of types.values()) held += t.resources.size;
    if (whole || this.byVersion.size > 2 * held) this.sweep(types);
    return { snapshot: new Snapshot(types), issues };
  }

  /** The type built whole: every message encoded (or found), checked for names, sorted. */
  private *wholeSteps(
    url: TypeUrl,
    msgs: readonly Message[],
    last: LastType | undefined,
    issues: Issue[],
  ): Generator<void, LastType> {
    const info = RESOURCE_TYPES[url];
    const list: EncodedResource[] = [];
    const names = new Set<string>();
    for (const msg of msgs) {
      const r = yield* this.encodeSteps(url, info.schema, msg);
      if (!r.name) issues.push({ path: `${info.field}`, message: `a ${info.short} resource has no name` });
      else if (names.has(r.name))
        issues.push({ path: `${info.field}[${r.name}]`, message: 'duplicate resource name' });
      else {
        names.add(r.name);
        list.push(r);
      }
      yield;
    }
    // The same resources in the same order are unchanged: the type keeps its object, so streams
    // can tell "unchanged" by identity.
    if (last && sameItems(last.list, list)) return { msgs, list, record: last.record };
    yield;
    const record = wholeType(list);
    // An equal version is the same content: the last object stands for it.
    const same = last?.record.type.version === record.type.version;
    yield;
    return { msgs, list, record: same ? last!.record : record };
  }

  /**
   * The type patched from the last build's: undefined when the messages are not the last ones
   * position by position apart from a few (an eighth at most), or a replaced one changed its
   * name, or the last build skipped one (nameless or a duplicate), so the caller builds it whole.
   */
  private *patchSteps(
    url: TypeUrl,
    msgs: readonly Message[],
    last: LastType,
  ): Generator<void, LastType | undefined> {
    if (msgs.length !== last.msgs.length || last.list.length !== last.msgs.length) return undefined;
    const limit = msgs.length >> 3;
    const changed: number[] = [];
    for (let i = 0; i < msgs.length; i++) {
      if (msgs[i] !== last.msgs[i] && changed.push(i) > limit) return undefined;
      if ((i & 4095) === 4095) yield;
    }
    if (changed.length === 0) return { msgs, list: last.list, record: last.record };
    const schema = RESOURCE_TYPES[url].schema;
    const list = last.list.slice();
    const replaced: EncodedResource[] = [];
    for (const i of changed) {
      const r = yield* this.encodeSteps(url, schema, msgs[i]!);
      yield;
      if (r.name !== list[i]!.name) return undefined;
      if (r === list[i]) continue;
      list[i] = r;
      replaced.push(r);
    }
    if (replaced.length === 0) return { msgs, list, record: last.record };
    const record = patchType(last.record, replaced);
    if (!record) return undefined;
    this.patchedCount++;
    yield;
    return { msgs, list, record };
  }

  private sweep(types: ReadonlyMap<TypeUrl, TypeSnapshot>): void {
    const live = new Set<EncodedResource>();
    for (const t of types.values()) for (const r of t.resources.values()) live.add(r);
    for (const [k, r] of this.byVersion) if (!live.has(r)) this.byVersion.delete(k);
  }
}

/** One type of the last build: its messages in the set's order, their encodings, the type. */
interface LastType {
  readonly msgs: readonly Message[];
  readonly list: readonly EncodedResource[];
  readonly record: TypeRecord;
}

function sameItems(a: readonly object[] | undefined, b: readonly object[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
