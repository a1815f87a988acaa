// What the endpoint table keeps per pod and per model version. Shared by the table's state
// machine and the pure steps it runs on them (tuning, overflow, publication).
import type { EndpointHealth } from '../../translate/types.js';
import type { OverflowState } from './overflow.js';
import type { HeartbeatInfo, PodInfo } from './signals.js';
import type { TunerState } from './tuner.js';
import type { Utilization } from './utilization.js';

export interface PodRecord {
  info: PodInfo;
  lastSeq: bigint;
  lastSeenMs: number;
  draining: boolean;
  health: EndpointHealth;
  hb?: HeartbeatInfo;
  hbAtMs: number;
  /** The tuner's state per version key. */
  readonly tuned: Map<string, TunerState>;
}

export interface VersionEntry {
  /** Ids of the pods serving the version. */
  readonly pods: Set<string>;
  overflow: OverflowState;
  /** Its published endpoints must be rebuilt. */
  dirty: boolean;
  /** A heartbeat arrived since the last tuning. */
  tune: boolean;
}

export type PodRecords = ReadonlyMap<string, PodRecord>;

/** The utilization that limits an endpoint: its GPU's when it runs on one, else its CPU's. */
export function limitingUtilization(hb: HeartbeatInfo, backend: 'gpu' | 'cpu' | undefined): Utilization {
  return backend === 'gpu' ? (hb.gpu ?? hb.cpu) : hb.cpu;
}
