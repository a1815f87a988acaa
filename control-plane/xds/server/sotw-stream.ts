// One state-of-the-world ADS stream. Requests and snapshot changes both end in flush(), which
// walks the types in push order and answers what is owed: first requests, newly subscribed
// names, dependent resends after CDS/LDS, and content changes, never content the client NACKed.
import type { DiscoveryRequest } from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { contentHash, type EncodedResource, type Snapshot, type TypeSnapshot } from '../cache/snapshot.js';
import { PUSH_ORDER, RESOURCE_TYPES, TYPE, type TypeUrl } from '../resource-types.js';
import {
  clustersInUse,
  contentKey,
  desiredResources,
  type ResourceMap,
  retainClusters,
  sameContent,
  sharedDesired,
} from './desired.js';
import { encodeResponse, type PreEncodedResponse } from './encoded-response.js';
import { AdsStream } from './stream-base.js';
import { nextNonce } from './stream-context.js';
import type { NameFilter, ResourceSync, SyncSource } from './stream-sync.js';
import { Subscription } from './subscription.js';

interface TypeState {
  readonly sub: Subscription;
  /** Nonce of the last response; requests carrying another one are stale. */
  nonce?: string;
  sentAt: number;
  sentVersion: string;
  sent: ResourceMap;
  /** What the client last ACKed: it keeps using this after a NACK. */
  acked: ResourceMap;
  rejectedKey?: string;
  /** A response is owed even if nothing changed. */
  owed: boolean;
  /** The type snapshot the last flush looked at: an identical one needs no new look. */
  seen?: TypeSnapshot;
}

const EMPTY: ResourceMap = new Map();

function onlyWanted(m: ResourceMap, sub: Subscription): ResourceMap {
  for (const name of m.keys()) if (!sub.wants(name)) return new Map([...m].filter(([n]) => sub.wants(n)));
  return m;
}

export class SotwStream extends AdsStream<TypeState, PreEncodedResponse> implements SyncSource {
  /** CDS currently carries clusters kept for make-before-break. */
  private retaining = false;

  onRequest(req: DiscoveryRequest): void {
    const url = this.begin(req.node, req.typeUrl);
    if (!url) return;
    let st = this.types.get(url);
    const first = !st;
    if (!st) {
      st = { sub: new Subscription(), sentAt: 0, sentVersion: '', sent: EMPTY, acked: EMPTY, owed: true };
      this.types.set(url, st);
    } else if (req.responseNonce !== st.nonce) {
      // Rule 1: the client has not seen our latest response yet; it will send again.
      this.host.callbacks.onStaleNonce?.(this.ctx, url, req.responseNonce);
      return;
    }
    if (!first && st.nonce !== undefined) {
      if (req.errorDetail) {
        st.rejectedKey = contentKey(st.sent);
        this.host.callbacks.onNack?.(this.ctx, url, st.sentVersion, req.errorDetail.message, [
          ...st.sent.keys(),
        ]);
      } else {
        st.acked = st.sent;
        this.host.callbacks.onAck?.(this.ctx, url, req.versionInfo, this.host.now() - st.sentAt);
      }
    }
    const added = st.sub.replace(req.resourceNames, first);
    // New names are answered even if unchanged. For LDS/CDS an answer without the name also
    // tells the client it does not exist; for RDS/EDS/SDS a missing name waits until it appears.
    if (added.length > 0 && (RESOURCE_TYPES[url].fullState || this.anyExists(url, added))) st.owed = true;
    // The client forgets what it unsubscribed; only answer when something it wants changes.
    st.sent = onlyWanted(st.sent, st.sub);
    st.acked = onlyWanted(st.acked, st.sub);
    // A plain ACK changes nothing to send, unless routes moved off a cluster kept for them.
    if (!st.owed && !(this.retaining && (url === TYPE.RDS || url === TYPE.LDS))) return;
    this.flush();
  }

  /** Subscriptions and versions per type, for status and tests. */
  describe(): Record<string, { names: string[]; sent: string; nonce?: string }> {
    const out: Record<string, { names: string[]; sent: string; nonce?: string }> = {};
    for (const [url, st] of this.types)
      out[RESOURCE_TYPES[url].short] = {
        names: st.sub.describe(),
        sent: st.sentVersion,
        ...(st.nonce ? { nonce: st.nonce } : {}),
      };
    return out;
  }

  desiredOf(snapshot: Snapshot): Map<TypeUrl, ReadonlyMap<string, EncodedResource>> {
    const out = new Map<TypeUrl, ReadonlyMap<string, EncodedResource>>();
    for (const [url, st] of this.types) out.set(url, desiredResources(snapshot, url, st.sub, this.filter));
    return out;
  }

  syncOf(snapshot: Snapshot, owned: NameFilter): ResourceSync[] {
    const out: ResourceSync[] = [];
    for (const [type, st] of this.types) {
      // The last response was NACKed: what it carried is rejected, the client keeps what it ACKed.
      const nacked = st.rejectedKey !== undefined && st.rejectedKey === contentKey(st.sent);
      for (const [name, r] of desiredResources(snapshot, type, st.sub, this.filter)) {
        if (!owned(name)) continue;
        const state =
          st.acked.get(name)?.version === r.version
            ? 'acked'
            : nacked && st.sent.get(name)?.version === r.version
              ? 'nacked'
              : 'pending';
        out.push({ type, name, state });
      }
    }
    return out;
  }

  private anyExists(url: TypeUrl, names: string[]): boolean {
    const have = this.snapshot?.type(url).resources;
    return !!have && names.some((n) => have.has(n));
  }

  protected respond(): void {
    const snapshot = this.snapshot;
    if (!snapshot) return; // answered as soon as the group's first snapshot arrives
    for (const url of PUSH_ORDER) {
      const st = this.types.get(url);
      if (!st) continue;
      const current = snapshot.type(url);
      // Most pushes change one or two types: skip the others without building anything.
      if (!st.owed && st.seen === current && !(url === TYPE.CDS && this.retaining)) continue;
      st.seen = current;
      // Streams without a filter share the desired map of their subscription (computed once per
      // snapshot, not per stream); CDS takes a copy, as retention may add to it.
      const shared = this.filter ? undefined : sharedDesired(snapshot, url, st.sub);
      let desired: ResourceMap = shared?.resources ?? desiredResources(snapshot, url, st.sub, this.filter);
      let names = shared?.names;
      let retained: EncodedResource[] = [];
      if (url === TYPE.CDS) {
        const inUse = clustersInUse([
          this.types.get(TYPE.RDS)?.sent,
          this.types.get(TYPE.RDS)?.acked,
          this.types.get(TYPE.LDS)?.sent,
          this.types.get(TYPE.LDS)?.acked,
        ]);
        const own = new Map(desired);
        retained = retainClusters(own, st.sent, st.sub, inUse, snapshot);
        this.retaining = retained.length > 0;
        if (this.retaining) {
          desired = own;
          names = undefined;
        }
      }
      const changed = !sameContent(desired, st.sent);
      if (!st.owed && !changed) continue;
      if (!st.owed && st.rejectedKey !== undefined && contentKey(desired) === st.rejectedKey) continue;
      const base = snapshot.type(url).version;
      const version = retained.length
        ? `${base}+${contentHash(contentKey(new Map(retained.map((r) => [r.name, r]))))}`
        : base;
      this.send(url, st, desired, version, snapshot, names);
    }
  }

  private send(
    url: TypeUrl,
    st: TypeState,
    resources: ResourceMap,
    version: string,
    snapshot: Snapshot,
    names = [...resources.keys()].join('\n'),
  ): void {
    const nonce = nextNonce();
    // Streams with the same content share one encoded body (see encoded-response.ts).
    const key = `${version}\n${names}`;
    this.sink.write(encodeResponse(snapshot.type(url), url, version, resources.values(), key, nonce));
    st.nonce = nonce;
    st.sent = resources;
    st.sentVersion = version;
    st.sentAt = this.host.now();
    st.owed = false;
    this.host.callbacks.onResponse?.(this.ctx, url, version, resources.size, nonce);
    // Rule 5: Envoy re-warms changed clusters and listeners and needs their EDS/RDS again.
    const dependent = RESOURCE_TYPES[url].dependent;
    const dep = dependent && this.types.get(dependent);
    if (dep) dep.owed = true;
  }
}
