// Operations run one after another per key (a model version's loads, refusals and unloads), and
// concurrently across keys. A failed operation does not stop the next one on its key.
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, op: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(op, op);
    this.tails.set(key, next);
    // then(f, f), not finally(f): the promise finally() returns rejects with `next`, and
    // nothing would handle it (Node ends the process); the caller handles `next` itself.
    const forget = () => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    };
    next.then(forget, forget);
    return next;
  }
}
