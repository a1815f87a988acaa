// One frozen empty list, map and unset oneof, shared by every message literal (literals.ts)
// that starts a field empty. A route, an action, a match and a cluster each started with five
// to eight fresh empty arrays, records and oneofs: over a million objects in a cold Envoy-flavor
// translation of 10,000 models, all of them copied and marked by the garbage collector. Callers
// assign a new value to a field instead of filling the empty one in place (nothing mutates a
// translated message); frozen, an attempt to fill one throws rather than leaking into every
// message.

/** An empty repeated field. */
export const NONE = Object.freeze([]) as unknown as never[];

/** An empty map field. */
export const NO_ENTRIES = Object.freeze({}) as Record<string, never>;

/** An unset oneof. */
export const UNSET = Object.freeze({ case: undefined }) as { case: undefined; value?: undefined };
