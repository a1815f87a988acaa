// Hand-made registrations and heartbeats for the endpoint table's unit tests (fake clock, no NATS).
import type { HeartbeatInfo, PodInfo, ServedVersion, VersionLoad } from '../signals.js';
import { utilization } from '../utilization.js';

export const INTERVAL = 1000;

export type PodOverrides = Partial<Omit<PodInfo, 'versions'>> & { versions?: readonly ServedVersion[] };

/** A pod serving m/1 on the CPU unless `over.versions` says otherwise. */
export function pod(id: string, port: number, over: PodOverrides = {}): PodInfo {
  const versions = over.versions ?? [{ model: 'm', version: '1', backend: 'cpu' }];
  return {
    podId: id,
    address: '127.0.0.1',
    port,
    region: 'r',
    zone: 'z',
    revision: 1n,
    startedAtMs: 1n,
    sequence: 1n,
    intervalMs: INTERVAL,
    draining: false,
    tls: false,
    ...over,
    versions: new Map(versions.map((v) => [`${v.model}/${v.version}`, v])),
  };
}

export const LOAD: VersionLoad = { queueDepth: 0, inFlight: 0, p50Ms: 5, p99Ms: 10, errorRate: 0, requests: 100 };

/** A heartbeat with one load for m/1. */
export function hb(id: string, seq: number, over: Partial<HeartbeatInfo> & { load?: Partial<VersionLoad> } = {}) {
  return {
    podId: id,
    sequence: BigInt(seq),
    revision: 1n,
    draining: false,
    intervalMs: INTERVAL,
    cpu: utilization(0.1),
    ...over,
    loads: new Map([['m/1', { ...LOAD, ...over.load }]]),
  } satisfies HeartbeatInfo;
}
