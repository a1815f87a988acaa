// What a stream should hold for one type right now: the subscribed names that exist in the
// snapshot, plus (for clusters) make-before-break retention. Shared by SotW and delta streams.
import type { EncodedResource, Snapshot, TypeSnapshot } from '../cache/snapshot.js';
import { TYPE, type TypeUrl } from '../resource-types.js';
import type { Subscription } from './subscription.js';

export type ResourceMap = ReadonlyMap<string, EncodedResource>;

/** May this stream see this resource? (SDS: only the node's own identity; docs/SECURITY.md.) */
export type ResourceFilter = (type: TypeUrl, name: string) => boolean;

/**
 * What `desiredResources` gives, shared by every stream with the same subscription to the same
 * type snapshot (streams without a per-stream filter): one map per group and subscription
 * instead of one per stream and push. Read-only: callers that add to it take a copy.
 */
export interface SharedDesired {
  readonly resources: ResourceMap;
  /** Names in response order, for the encoded-body key. */
  readonly names: string;
}

const shared = new WeakMap<TypeSnapshot, Map<string, SharedDesired>>();
/** Distinct subscriptions per type snapshot are few (one per model or pod); a cap bounds a client that invents names. */
const MAX_SHARED_PER_SNAPSHOT = 4096;

export function sharedDesired(snapshot: Snapshot, type: TypeUrl, sub: Subscription): SharedDesired {
  const t = snapshot.type(type);
  let perSub = shared.get(t);
  if (!perSub) {
    perSub = new Map();
    shared.set(t, perSub);
  }
  const key = sub.key();
  let d = perSub.get(key);
  if (!d) {
    const resources = desiredResources(snapshot, type, sub);
    d = { resources, names: [...resources.keys()].join('\n') };
    if (perSub.size >= MAX_SHARED_PER_SNAPSHOT) perSub.clear();
    perSub.set(key, d);
  }
  return d;
}

export function desiredResources(
  snapshot: Snapshot,
  type: TypeUrl,
  sub: Subscription,
  filter?: ResourceFilter,
): Map<string, EncodedResource> {
  const all = snapshot.type(type).resources;
  const out = new Map<string, EncodedResource>();
  if (sub.wildcard) {
    for (const [name, r] of all) if (!filter || filter(type, name)) out.set(name, r);
  } else {
    for (const name of sub.sorted()) {
      const r = all.get(name);
      if (r && (!filter || filter(type, name))) out.set(name, r);
    }
  }
  return out;
}

/** Clusters that the route configurations and listeners a client may hold still route to. */
export function clustersInUse(held: Iterable<ResourceMap | undefined>): Set<string> {
  const out = new Set<string>();
  for (const m of held) {
    if (!m) continue;
    for (const r of m.values()) for (const c of r.refs.clusters ?? []) out.add(c);
  }
  return out;
}

/**
 * Make before break (rule 5): a cluster that left the snapshot keeps being sent, in its last
 * form, while routes the client holds still use it; it goes once the client has ACKed routes
 * without it. Returns the retained clusters added to `desired`.
 */
export function retainClusters(
  desired: Map<string, EncodedResource>,
  previouslySent: ResourceMap,
  sub: Subscription,
  inUse: ReadonlySet<string>,
  snapshot: Snapshot,
): EncodedResource[] {
  const retained: EncodedResource[] = [];
  const current = snapshot.type(TYPE.CDS).resources;
  for (const [name, r] of previouslySent) {
    if (current.has(name) || !inUse.has(name) || !sub.wants(name)) continue;
    desired.set(name, r);
    retained.push(r);
  }
  return retained;
}

export function sameContent(a: ResourceMap, b: ResourceMap): boolean {
  if (a.size !== b.size) return false;
  for (const [name, r] of a) if (b.get(name)?.version !== r.version) return false;
  return true;
}

/** An order-independent key of a resource map, to recognise content that was NACKed. */
export function contentKey(m: ResourceMap): string {
  return [...m.values()]
    .map((r) => `${r.name}\0${r.version}`)
    .sort()
    .join('\n');
}
