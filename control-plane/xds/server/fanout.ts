// Hands a new snapshot to many streams in slices, yielding to the event loop between slices, so
// that the first streams' responses are already on the wire (and their ACKs coming back) while
// later streams are still being served, instead of every socket waiting for one long loop.
export class Fanout {
  private readonly pending = new Map<number, () => void>();
  private scheduled = false;

  constructor(private readonly slice = 256) {}

  /** Queue `deliver` for a stream; a newer delivery for the same stream replaces the older one. */
  push(streamId: number, deliver: () => void): void {
    this.pending.set(streamId, deliver);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }

  /** A stream that closed gets nothing more. */
  drop(streamId: number): void {
    this.pending.delete(streamId);
  }

  private run(): void {
    let n = 0;
    for (const [id, deliver] of this.pending) {
      this.pending.delete(id);
      deliver();
      if (++n >= this.slice) break;
    }
    if (this.pending.size > 0) setImmediate(() => this.run());
    else this.scheduled = false;
  }
}
