// Break after make for a registry version's last endpoints. When a routed registry version loses
// its last ready endpoint (its pod drains or unloads it), the route moves the version's weight to
// the others (ready-weights.ts) in the same snapshot that would empty its EDS; but ADS sends EDS
// before RDS, so a client would hold an empty cluster that its old route still sends calls to,
// and those calls fail. So the EDS keeps the version's last ready endpoints, as they were, for a
// short hold after they are gone; the route without the version reaches the clients meanwhile,
// and the calls still sent in between reach a pod that is draining and still answers. When the
// hold ends the EDS is emptied (docs/PLACEMENT.md, "Losing the last endpoint").
//
// Pure apart from the state it keeps between snapshots; the caller passes the time and rebuilds
// at `expiresAt`. The table it returns is the input itself while nothing is held.
import { registryRefOf } from '../policy/registry-ref.js';
import type { ModelRoute } from '../policy/types.js';
import { takesTraffic } from './endpoints.js';
import { type EndpointInfo, type EndpointTable, endpointKey } from './types.js';

/**
 * Long enough for the route to reach loaded clients after the EDS, and shorter than a pod's
 * default drain grace (it keeps answering that long after it stopped being ready).
 */
export const LAST_ENDPOINT_HOLD_MS = 3000;

interface Held {
  readonly endpoints: readonly EndpointInfo[];
  /** When the last of them stopped taking traffic; undefined while they still do. */
  lostAt?: number;
}

export interface HeldTable {
  readonly table: EndpointTable;
  /** The earliest time a hold ends: build again then. */
  readonly expiresAt?: number;
}

export class LastEndpointHold {
  private readonly last = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;

  /** `rebuild` is called when a hold ends, so the snapshot without it is built. */
  constructor(
    private readonly rebuild: () => void = () => undefined,
    private readonly holdMs = LAST_ENDPOINT_HOLD_MS,
  ) {}

  /** apply() now, with the rebuild scheduled for when the earliest hold ends. */
  tableFor(routes: readonly ModelRoute[], table: EndpointTable): EndpointTable {
    const held = this.apply(routes, table, Date.now());
    this.stop();
    if (held.expiresAt !== undefined) {
      this.timer = setTimeout(this.rebuild, Math.max(0, held.expiresAt - Date.now()) + 5);
      this.timer.unref();
    }
    return held.table;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The table the EDS is built from: `table`, with the held endpoints of lost versions. */
  apply(routes: readonly ModelRoute[], table: EndpointTable, now: number): HeldTable {
    let out: Map<string, readonly EndpointInfo[]> | undefined;
    let expiresAt: number | undefined;
    const seen = new Set<string>();
    for (const route of routes)
      for (const v of route.spec.versions) {
        const ref = registryRefOf(v);
        if (!ref) continue;
        const key = endpointKey(ref.name, ref.version);
        if (seen.has(key)) continue;
        seen.add(key);
        const ready = (table.get(key) ?? []).filter((e) => takesTraffic(route, e));
        if (ready.length > 0) {
          this.last.set(key, { endpoints: ready });
          continue;
        }
        const held = this.last.get(key);
        if (!held) continue;
        held.lostAt ??= now;
        const until = held.lostAt + this.holdMs;
        if (now >= until) {
          this.last.delete(key);
          continue;
        }
        // As the clients last had them: a DRAINING endpoint would leave the cluster empty.
        out ??= new Map(table);
        out.set(
          key,
          held.endpoints.map((e) => (e.health === 'HEALTHY' ? e : { ...e, health: 'HEALTHY' })),
        );
        expiresAt = expiresAt === undefined ? until : Math.min(expiresAt, until);
      }
    // A version no route names any more has nothing to protect.
    for (const key of [...this.last.keys()]) if (!seen.has(key)) this.last.delete(key);
    return { table: out ?? table, ...(expiresAt !== undefined ? { expiresAt } : {}) };
  }
}
