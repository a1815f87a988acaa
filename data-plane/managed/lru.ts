// Which loaded versions to unload so that another fits the pod's memory limit (overcommit).
// Pure: the caller supplies what is loaded, when each was last used and whether it is busy.
// The least recently used idle version goes first; a version with requests in flight, queued,
// or waiting for it is never chosen, whatever its age (docs/DATAPLANE.md, "Overcommit").

export interface LoadedCandidate {
  readonly key: string;
  /** Measured memory of its loaded sessions. */
  readonly bytes: number;
  /** Last time a request on it ended (ms, any monotonic clock). */
  readonly lastUsedMs: number;
  /** Requests in flight, queued, or holding it while they wait: never evicted. */
  readonly busy: boolean;
}

export interface EvictionPlan {
  /** Keys to unload, oldest use first. */
  readonly victims: readonly string[];
  /** Whether the newcomer fits once the victims are unloaded. */
  readonly fits: boolean;
  /** Memory held after the victims are unloaded. */
  readonly heldAfter: number;
}

/**
 * Unload idle versions, least recently used first, until `needBytes` fits under `limitBytes`.
 * When even every idle version would not make room, nothing is chosen (`fits` false): unloading
 * would cost their next requests a load and still not let the newcomer in.
 */
export function planEviction(
  loaded: readonly LoadedCandidate[],
  needBytes: number,
  limitBytes: number,
): EvictionPlan {
  const total = loaded.reduce((n, c) => n + c.bytes, 0);
  let held = total;
  if (held + needBytes <= limitBytes) return { victims: [], fits: true, heldAfter: held };
  const idle = loaded
    .filter((c) => !c.busy)
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const victims: string[] = [];
  for (const c of idle) {
    victims.push(c.key);
    held -= c.bytes;
    if (held + needBytes <= limitBytes) return { victims, fits: true, heldAfter: held };
  }
  return { victims: [], fits: false, heldAfter: total };
}
