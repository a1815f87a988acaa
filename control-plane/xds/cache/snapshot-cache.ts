// Holds the current Snapshot per node group and tells the streams of that group when it
// changes. State only: the stream protocols live in ../server (as in go-control-plane).
import { SnapshotInconsistentError } from '../../../kernel/errors/index.js';
import { checkConsistency } from '../../validate/consistency.js';
import type { Snapshot } from './snapshot.js';

export type SnapshotListener = (snapshot: Snapshot) => void;

export interface PublishResult {
  readonly group: string;
  readonly version: string;
  /** False when the snapshot equals the current one: nothing is pushed. */
  readonly changed: boolean;
  readonly watchers: number;
}

export class SnapshotCache {
  private snapshots = new Map<string, Snapshot>();
  private watchers = new Map<string, Set<SnapshotListener>>();

  /**
   * Publish a snapshot for a group. A snapshot that names anything it does not contain is
   * refused with SnapshotInconsistentError and the previous one keeps serving.
   */
  set(group: string, snapshot: Snapshot): PublishResult {
    const issues = checkConsistency(snapshot.referenceView());
    if (issues.length) throw new SnapshotInconsistentError(group, issues);
    const previous = this.snapshots.get(group);
    const ws = this.watchers.get(group);
    if (previous?.version === snapshot.version)
      return { group, version: snapshot.version, changed: false, watchers: ws?.size ?? 0 };
    this.snapshots.set(group, snapshot);
    if (ws) for (const w of [...ws]) w(snapshot);
    return { group, version: snapshot.version, changed: true, watchers: ws?.size ?? 0 };
  }

  get(group: string): Snapshot | undefined {
    return this.snapshots.get(group);
  }

  groups(): string[] {
    return [...this.snapshots.keys()].sort();
  }

  /** Listen for new snapshots of a group; returns the unsubscribe function. */
  watch(group: string, listener: SnapshotListener): () => void {
    const ws = this.watchers.get(group) ?? new Set<SnapshotListener>();
    this.watchers.set(group, ws);
    ws.add(listener);
    return () => {
      ws.delete(listener);
      if (ws.size === 0) this.watchers.delete(group);
    };
  }
}
