// Which names of one type a stream wants, with the xDS wildcard rules: a first request without
// names is a (legacy) wildcard; "*" subscribes to everything explicitly; in SotW a wildcard
// stream may keep sending empty lists, while a named stream sending an empty list unsubscribes.
export const WILDCARD = '*';

const NONE: readonly string[] = [];

function sameEntries(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Subscription {
  wildcard = false;
  /** True while the stream has only ever sent empty name lists (legacy wildcard). */
  private legacy = false;
  readonly names = new Set<string>();
  /** The last non-empty SotW list, whose result is the state held now. */
  private last: readonly string[] = NONE;
  /** The names sorted, and a key of the whole subscription: computed once per change, not per push. */
  private sortedNames?: readonly string[];
  private keyText?: string;

  /** The explicitly subscribed names in sorted order (the order responses list resources in). */
  sorted(): readonly string[] {
    this.sortedNames ??= [...this.names].sort();
    return this.sortedNames;
  }

  /** Equal for two subscriptions that want the same names: streams with equal keys get equal answers. */
  key(): string {
    this.keyText ??= `${this.wildcard ? WILDCARD : ''}\n${this.sorted().join('\n')}`;
    return this.keyText;
  }

  private changed(): void {
    this.sortedNames = undefined;
    this.keyText = undefined;
  }

  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /** SotW: the request carries the complete list. Returns the names newly subscribed. */
  replace(resourceNames: readonly string[], first: boolean): string[] {
    if (resourceNames.length === 0) {
      this.changed();
      if (first) this.wildcard = this.legacy = true;
      else if (!this.legacy) this.wildcard = false;
      if (!this.legacy) this.names.clear();
      this.last = NONE;
      return [];
    }
    this.legacy = false;
    // ACKs repeat the previous list as it was sent: that path stays allocation-free. Comparing
    // entry by entry, not by membership, is what keeps it right: ['b', 'b'] after ['b', 'd'] has
    // as many entries, all held, and still drops d. Any other list (reordered, with repeats)
    // takes the full path below, which is correct for every list.
    if (sameEntries(resourceNames, this.last)) return [];
    this.changed();
    const next = new Set(resourceNames);
    this.wildcard = next.delete(WILDCARD);
    const added = [...next].filter((n) => !this.names.has(n));
    this.names.clear();
    for (const n of next) this.names.add(n);
    this.last = [...resourceNames];
    return added;
  }

  /** Delta: explicit subscribe/unsubscribe lists. Returns the names newly subscribed. */
  change(subscribe: readonly string[], unsubscribe: readonly string[], first: boolean): string[] {
    this.last = NONE;
    this.changed();
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
