// One incremental (delta) ADS stream. The server tracks what the client holds per resource
// (from its responses and the client's initial_resource_versions) and sends only differences:
// changed resources, and removals as removed_resources. Every subscribe is answered, even when
// nothing needs sending, and a subscribed name that does not exist is reported as removed.
import type { DeltaDiscoveryRequest } from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import type { EncodedResource, Snapshot, TypeSnapshot } from '../cache/snapshot.js';
import { PUSH_ORDER, RESOURCE_TYPES, TYPE, type TypeUrl } from '../resource-types.js';
import { clustersInUse, desiredResources, retainClusters, sharedDesired } from './desired.js';
import { encodeDeltaResponse } from './encoded-delta.js';
import type { PreEncodedResponse } from './encoded-response.js';
import { AdsStream } from './stream-base.js';
import { nextNonce } from './stream-context.js';
import type { NameFilter, ResourceSync, SyncSource } from './stream-sync.js';
import { Subscription } from './subscription.js';

interface Pending {
  readonly sentAt: number;
  readonly systemVersion: string;
  /** The client's versions before this response, to restore if it is NACKed. */
  readonly before: ReadonlyMap<string, string | undefined>;
  readonly sent: ReadonlyMap<string, string | undefined>;
}

interface TypeState {
  readonly sub: Subscription;
  /** name -> version the client holds. */
  readonly known: Map<string, string>;
  /** The last form of each resource we sent, for make-before-break and status. */
  readonly held: Map<string, EncodedResource>;
  readonly pending: Map<string, Pending>;
  /** name -> version the client rejected; not sent again. */
  readonly rejected: Map<string, string>;
  /** Names reported as not existing, so the report is not repeated. */
  readonly toldMissing: Set<string>;
  owed: boolean;
  /** The snapshot's type the last answer was worked out from. */
  seen?: TypeSnapshot;
}

/** Unacknowledged responses kept per type; a client that never ACKs cannot grow this. */
const MAX_PENDING = 64;

export class DeltaStream extends AdsStream<TypeState, PreEncodedResponse> implements SyncSource {
  /** CDS keeps clusters that held routes still name; it is worked out again until none are. */
  private retaining = false;

  onRequest(req: DeltaDiscoveryRequest): void {
    const url = this.begin(req.node, req.typeUrl);
    if (!url) return;
    let st = this.types.get(url);
    const first = !st;
    if (!st) {
      st = {
        sub: new Subscription(),
        known: new Map(Object.entries(req.initialResourceVersions)),
        held: new Map(),
        pending: new Map(),
        rejected: new Map(),
        toldMissing: new Set(),
        owed: true,
      };
      this.types.set(url, st);
    }
    if (req.responseNonce) this.settle(url, st, req);
    const added = st.sub.change(req.resourceNamesSubscribe, req.resourceNamesUnsubscribe, first);
    for (const n of req.resourceNamesUnsubscribe) {
      st.known.delete(n);
      st.held.delete(n);
      st.toldMissing.delete(n);
    }
    for (const n of added) st.toldMissing.delete(n);
    if (req.resourceNamesSubscribe.length > 0) st.owed = true;
    this.flush();
  }

  /** ACK or NACK of one earlier response. Unknown nonces are stale and change nothing. */
  private settle(url: TypeUrl, st: TypeState, req: DeltaDiscoveryRequest): void {
    const p = st.pending.get(req.responseNonce);
    if (!p) {
      this.host.callbacks.onStaleNonce?.(this.ctx, url, req.responseNonce);
      return;
    }
    st.pending.delete(req.responseNonce);
    if (req.errorDetail) {
      for (const [name, version] of p.sent) {
        if (version !== undefined) st.rejected.set(name, version);
        const before = p.before.get(name);
        if (before === undefined) st.known.delete(name);
        else st.known.set(name, before);
      }
      // Worked out again at once: what the client still holds after the NACK may need removing
      // again (a removal is never marked rejected).
      st.seen = undefined;
      this.host.callbacks.onNack?.(this.ctx, url, p.systemVersion, req.errorDetail.message, [
        ...p.sent.keys(),
      ]);
    } else {
      this.host.callbacks.onAck?.(this.ctx, url, p.systemVersion, this.host.now() - p.sentAt);
    }
  }

  desiredOf(snapshot: Snapshot): Map<TypeUrl, ReadonlyMap<string, EncodedResource>> {
    const out = new Map<TypeUrl, ReadonlyMap<string, EncodedResource>>();
    for (const [url, st] of this.types) out.set(url, desiredResources(snapshot, url, st.sub, this.filter));
    return out;
  }

  syncOf(snapshot: Snapshot, owned: NameFilter): ResourceSync[] {
    const out: ResourceSync[] = [];
    for (const [type, st] of this.types) {
      // A name in an unanswered response is not held yet, whatever `known` assumes.
      const unanswered = new Set<string>();
      for (const p of st.pending.values()) for (const n of p.sent.keys()) unanswered.add(n);
      for (const [name, r] of desiredResources(snapshot, type, st.sub, this.filter)) {
        if (!owned(name)) continue;
        const state =
          st.rejected.get(name) === r.version
            ? 'nacked'
            : st.known.get(name) === r.version && !unanswered.has(name)
              ? 'acked'
              : 'pending';
        out.push({ type, name, state });
      }
    }
    return out;
  }

  protected respond(): void {
    const snapshot = this.snapshot;
    if (!snapshot) return;
    for (const url of PUSH_ORDER) {
      const st = this.types.get(url);
      if (!st) continue;
      // Most pushes change one or two types. An unchanged type owes nothing unless the client
      // subscribed to more (owed) or NACKed (settle): an ACK changes nothing it holds, and an
      // unsubscribe only forgets.
      const current = snapshot.type(url);
      if (!st.owed && st.seen === current && !(url === TYPE.CDS && this.retaining)) continue;
      st.seen = current;
      // Streams without a filter share their subscription's desired map; CDS copies it, as
      // retention may add to it.
      let desired: ReadonlyMap<string, EncodedResource> = this.filter
        ? desiredResources(snapshot, url, st.sub, this.filter)
        : sharedDesired(snapshot, url, st.sub).resources;
      if (url === TYPE.CDS) {
        const own = new Map(desired);
        const inUse = clustersInUse([this.types.get(TYPE.RDS)?.held, this.types.get(TYPE.LDS)?.held]);
        this.retaining = retainClusters(own, st.held, st.sub, inUse, snapshot).length > 0;
        desired = own;
      }
      const updates: EncodedResource[] = [];
      for (const r of desired.values())
        if (st.known.get(r.name) !== r.version && st.rejected.get(r.name) !== r.version) updates.push(r);
      const removed: string[] = [];
      for (const name of st.known.keys()) if (!desired.has(name) && st.sub.wants(name)) removed.push(name);
      for (const name of st.sub.names)
        if (!desired.has(name) && !st.known.has(name) && !st.toldMissing.has(name)) {
          removed.push(name);
          st.toldMissing.add(name);
        }
      if (!st.owed && updates.length === 0 && removed.length === 0) continue;
      this.send(url, st, updates, removed, snapshot.type(url).version);
    }
  }

  private send(
    url: TypeUrl,
    st: TypeState,
    updates: EncodedResource[],
    removed: string[],
    version: string,
  ): void {
    const nonce = nextNonce();
    const before = new Map<string, string | undefined>();
    const sent = new Map<string, string | undefined>();
    for (const r of updates) {
      before.set(r.name, st.known.get(r.name));
      sent.set(r.name, r.version);
      st.known.set(r.name, r.version);
      st.held.set(r.name, r);
    }
    for (const name of removed) {
      before.set(name, st.known.get(name));
      sent.set(name, undefined);
      st.known.delete(name);
      st.held.delete(name);
    }
    // Each resource is encoded once for all streams that send it (see encoded-delta.ts).
    this.sink.write(
      encodeDeltaResponse({ systemVersion: version, resources: updates, typeUrl: url, removed, nonce }),
    );
    st.pending.set(nonce, { sentAt: this.host.now(), systemVersion: version, before, sent });
    if (st.pending.size > MAX_PENDING) st.pending.delete(st.pending.keys().next().value as string);
    st.owed = false;
    this.host.callbacks.onResponse?.(this.ctx, url, version, updates.length, nonce);
    this.resendDependents(url, updates);
  }

  /** Rule 5: a changed cluster or listener needs its EDS or RDS again, even if unchanged. */
  private resendDependents(url: TypeUrl, updates: EncodedResource[]): void {
    const dependent = RESOURCE_TYPES[url].dependent;
    const dep = dependent && this.types.get(dependent);
    if (!dep) return;
    for (const r of updates) {
      const names = url === TYPE.CDS ? (r.refs.eds !== undefined ? [r.refs.eds] : []) : (r.refs.routes ?? []);
      for (const n of names)
        if (dep.sub.wants(n)) {
          dep.known.delete(n);
          // Worked out again at the next answer, though its type did not change.
          dep.seen = undefined;
        }
    }
  }
}
