// The endpoints one assignment keeps, in output order, and where its localities begin: what
// the message builder (endpoints.ts) and the byte writer (encode/assignment-bytes.ts) both walk,
// so the two cannot disagree on order or grouping.
import { HealthStatus } from '../../protos/gen/envoy/config/core/v3/health_check_pb.js';
import type { EndpointInfo, Flavor } from './types.js';

export const HEALTH: Record<EndpointInfo['health'], HealthStatus> = {
  HEALTHY: HealthStatus.HEALTHY,
  UNHEALTHY: HealthStatus.UNHEALTHY,
  DRAINING: HealthStatus.DRAINING,
  UNKNOWN: HealthStatus.UNKNOWN,
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Endpoints in output order: priority, locality, then address and the port dialled.
function compareEndpoints(
  px: number,
  x: EndpointInfo,
  sx: string,
  qx: number,
  py: number,
  y: EndpointInfo,
  sy: string,
  qy: number,
): number {
  return (
    px - py ||
    cmp(x.region ?? '', y.region ?? '') ||
    cmp(x.zone ?? '', y.zone ?? '') ||
    cmp(sx, sy) ||
    cmp(x.address, y.address) ||
    qx - qy
  );
}

export function compareKept(k: Kept, i: number, j: number): number {
  return compareEndpoints(
    k.priority[i]!,
    k.list[i]!,
    k.subZone[i]!,
    k.port[i]!,
    k.priority[j]!,
    k.list[j]!,
    k.subZone[j]!,
    k.port[j]!,
  );
}

/**
 * The endpoints an assignment keeps, with their priority and sub-zone ('' unless a gRPC
 * locality of its own: endpoints share their zone's locality), as parallel arrays: an object
 * per endpoint was a tenth of the objects a full translation makes.
 */
export interface Kept {
  list: EndpointInfo[];
  priority: number[];
  subZone: string[];
  /**
   * The port each endpoint is dialled on: its gRPC port, or for the Envoy gateway's REST
   * clusters its HTTP port (the endpoint objects stay the table's; a copy of each endpoint on
   * its HTTP port was 300,000 objects in a cold build at 10,000 models).
   */
  port: number[];
}

/** `port`: the port the endpoint is dialled on in this assignment. */
export function subZoneOf(e: EndpointInfo, flavor: Flavor, orca: boolean, port: number): string {
  if (flavor === 'envoy' || orca || e.weight === undefined) return '';
  if (e.podId) return e.podId;
  return e.address.includes(':') ? `[${e.address}]:${port}` : `${e.address}:${port}`;
}

/**
 * The HTTP ports of the sorted `kept`, in its order, when the same endpoints on their HTTP ports
 * sort into that very order; undefined when one has no HTTP port or they would not. Ports only
 * decide between endpoints alike in everything else (priority, locality, address), which sit
 * side by side: their HTTP ports must rise strictly there as well, so the two orders agree and
 * no two are left to the sort's stability.
 */
export function httpPortsInOrder(kept: Kept): number[] | undefined {
  const { list, priority, subZone } = kept;
  const out = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) {
    const h = list[i]!.httpPort;
    if (h === undefined) return undefined;
    out[i] = h;
    if (
      i > 0 &&
      compareEndpoints(
        priority[i - 1]!,
        list[i - 1]!,
        subZone[i - 1]!,
        0,
        priority[i]!,
        list[i]!,
        subZone[i]!,
        0,
      ) === 0 &&
      !(out[i - 1]! < h)
    )
      return undefined;
  }
  return out;
}

/** Up to this many endpoints, an insertion sort in place: no index, order or closure arrays. */
const SMALL = 32;

/** `kept` in output order (a stable sort, applied to the four arrays alike). */
export function sortKept(kept: Kept): Kept {
  const { list, priority, subZone, port } = kept;
  if (list.length <= SMALL) {
    for (let i = 1; i < list.length; i++) {
      const e = list[i]!;
      const p = priority[i]!;
      const z = subZone[i]!;
      const q = port[i]!;
      let j = i - 1;
      // Only strictly greater ones move past it: equal endpoints keep their order (stable).
      while (j >= 0 && compareEndpoints(priority[j]!, list[j]!, subZone[j]!, port[j]!, p, e, z, q) > 0) {
        list[j + 1] = list[j]!;
        priority[j + 1] = priority[j]!;
        subZone[j + 1] = subZone[j]!;
        port[j + 1] = port[j]!;
        j--;
      }
      list[j + 1] = e;
      priority[j + 1] = p;
      subZone[j + 1] = z;
      port[j + 1] = q;
    }
    return kept;
  }
  const order = kept.list.map((_, i) => i).sort((i, j) => compareKept(kept, i, j) || i - j);
  return {
    list: order.map((i) => list[i]!),
    priority: order.map((i) => priority[i]!),
    subZone: order.map((i) => subZone[i]!),
    port: order.map((i) => port[i]!),
  };
}

/** Whether sorted endpoints i - 1 and i belong to different localities. */
function newLocality(kept: Kept, i: number): boolean {
  const e = kept.list[i]!;
  const last = kept.list[i - 1]!;
  return (
    kept.priority[i] !== kept.priority[i - 1] ||
    (e.region ?? '') !== (last.region ?? '') ||
    (e.zone ?? '') !== (last.zone ?? '') ||
    kept.subZone[i] !== kept.subZone[i - 1]
  );
}

/**
 * Where each locality of the sorted `kept` ends (exclusive), written to `ends`, which must hold
 * one entry per endpoint; returns how many localities there are. Both the message builder and
 * the byte writer (whose two passes read the ends rather than compare neighbours again) group
 * by this.
 */
export function localityEnds(kept: Kept, ends: Int32Array): number {
  const n = kept.list.length;
  let groups = 0;
  for (let i = 1; i < n; i++) if (newLocality(kept, i)) ends[groups++] = i;
  if (n > 0) ends[groups++] = n;
  return groups;
}
