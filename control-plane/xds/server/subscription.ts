// Which names of one type a stream wants, with the xDS wildcard rules: a first request without
// names is a (legacy) wildcard; "*" subscribes to everything explicitly; in SotW a wildcard
// stream may keep sending empty lists, while a named stream sending an empty list unsubscribes.
export const WILDCARD = '*';

export class Subscription {
  wildcard = false;
  /** True while the stream has only ever sent empty name lists (legacy wildcard). */
  private legacy = false;
  readonly names = new Set<string>();

  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /** SotW: the request carries the complete list. Returns the names newly subscribed. */
  replace(resourceNames: readonly string[], first: boolean): string[] {
    if (resourceNames.length === 0) {
      if (first) this.wildcard = this.legacy = true;
      else if (!this.legacy) this.wildcard = false;
      if (!this.legacy) this.names.clear();
      return [];
    }
    this.legacy = false;
    // ACKs repeat the same list: keep that path allocation-free.
    if (this.sameAs(resourceNames)) return [];
    const next = new Set(resourceNames);
    this.wildcard = next.delete(WILDCARD);
    const added = [...next].filter((n) => !this.names.has(n));
    this.names.clear();
    for (const n of next) this.names.add(n);
    return added;
  }

  private sameAs(names: readonly string[]): boolean {
    let count = 0;
    for (const n of names) {
      if (n === WILDCARD) {
        if (!this.wildcard) return false;
      } else if (!this.names.has(n)) return false;
      else count++;
    }
    return count === this.names.size && (this.wildcard ? names.includes(WILDCARD) : true);
  }

  /** Delta: explicit subscribe/unsubscribe lists. Returns the names newly subscribed. */
  change(subscribe: readonly string[], unsubscribe: readonly string[], first: boolean): string[] {
    if (first && subscribe.length === 0) this.wildcard = true;
    const added: string[] = [];
    for (const n of subscribe) {
      if (n === WILDCARD) this.wildcard = true;
      else if (!this.names.has(n)) {
        this.names.add(n);
        added.push(n);
      }
    }
    for (const n of unsubscribe) {
      if (n === WILDCARD) this.wildcard = false;
      else this.names.delete(n);
    }
    return added;
  }

  /** For status output and tests. */
  describe(): string[] {
    return [...(this.wildcard ? [WILDCARD] : []), ...[...this.names].sort()];
  }
}
