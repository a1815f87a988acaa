// Where one stream stands on each resource it should hold now: the answer to "has my change
// reached this proxy yet?". A resource is `acked` when the client ACKed exactly the content the
// current snapshot has for it, `nacked` when it rejected that content (and so keeps its last
// good one), and `pending` otherwise: not sent yet, or sent and not answered.
import type { EncodedResource, Snapshot } from '../cache/snapshot.js';
import type { TypeUrl } from '../resource-types.js';

export type ResourceSyncState = 'acked' | 'pending' | 'nacked';

export interface ResourceSync {
  readonly type: TypeUrl;
  readonly name: string;
  readonly state: ResourceSyncState;
}

/** Which resources a question is about (those a policy owns, or all of them). */
export type NameFilter = (name: string) => boolean;

/** What a stream can say about itself against a snapshot (SotW and delta streams both do). */
export interface SyncSource {
  /** Every resource of `snapshot` this stream should hold and `owned` accepts, with its state. */
  syncOf(snapshot: Snapshot, owned: NameFilter): ResourceSync[];
  /** What this stream should hold now, per type: the resources the server sends it. */
  desiredOf(snapshot: Snapshot): Map<TypeUrl, ReadonlyMap<string, EncodedResource>>;
}
