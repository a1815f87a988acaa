// The value of a lease key and the one decision made from it. Pure: no clock, no I/O, so every
// case (free, expired, ours, someone else's) is tested without NATS.
//
// The fencing token is a term number in the value, raised by one on every takeover and kept on
// renewal. Takeovers are compare-and-set writes on the key's revision, so no two holders ever
// get the same term and terms only grow: a write carrying a lower term than the current one
// comes from a replica that lost the lease.

export interface LeaseRecord {
  /** The replica that holds (or last held) the lease. */
  readonly holder: string;
  /** The fencing token of this holder's term. */
  readonly token: number;
  /** Milliseconds since the epoch, on the holder's clock; 0 after a release. */
  readonly expiresAt: number;
}

export type LeaseStep =
  | { readonly kind: 'create'; readonly next: LeaseRecord }
  | { readonly kind: 'takeover'; readonly next: LeaseRecord }
  | { readonly kind: 'renew'; readonly next: LeaseRecord }
  | { readonly kind: 'wait'; readonly until: number };

/** What `me` does at `now` given the key's current record (undefined: no key yet). */
export function nextStep(
  current: LeaseRecord | undefined,
  me: string,
  now: number,
  ttlMs: number,
): LeaseStep {
  const expiresAt = now + ttlMs;
  if (!current) return { kind: 'create', next: { holder: me, token: 1, expiresAt } };
  if (current.holder === me && current.expiresAt > now)
    return { kind: 'renew', next: { holder: me, token: current.token, expiresAt } };
  if (current.expiresAt <= now)
    return { kind: 'takeover', next: { holder: me, token: current.token + 1, expiresAt } };
  return { kind: 'wait', until: current.expiresAt };
}

export function encodeLease(r: LeaseRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r));
}

/** A value that is not a lease record reads as an expired one, so a replica can take it over. */
export function decodeLease(bytes: Uint8Array): LeaseRecord {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Partial<LeaseRecord>;
    if (typeof v.holder === 'string' && Number.isInteger(v.token) && typeof v.expiresAt === 'number')
      return { holder: v.holder, token: v.token as number, expiresAt: v.expiresAt };
  } catch {
    // below
  }
  return { holder: '', token: 0, expiresAt: 0 };
}
