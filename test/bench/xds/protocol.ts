// Messages between the xDS benchmark's parent and its two child processes.
export type ServerCommand =
  | { cmd: 'mem' }
  | { cmd: 'heap'; file: string }
  | { cmd: 'change'; type: 'EDS' | 'RDS'; profile: boolean }
  | { cmd: 'await-acks'; type: 'EDS' | 'RDS'; count: number; timeoutMs: number };

/** `total`: streams this load process holds to `address` after the command; node ids start at `firstId`. */
export type LoadCommand =
  | { cmd: 'open'; total: number; firstId: number; address: string; batch: number }
  | { cmd: 'close' }
  /** Epoch times (ms) at which this process's streams to `address` received `version` of `typeUrl`. */
  | { cmd: 'received'; address: string; typeUrl: string; version: string }
  | { cmd: 'cpu' }
  | { cmd: 'profile'; action: 'start' }
  | { cmd: 'profile'; action: 'stop'; file: string };

export interface MemSample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly streams: number;
}

export interface AckReport {
  readonly latenciesMs: number[];
  /** Per stream, publish -> the server wrote the response carrying the new version. */
  readonly writtenMs: number[];
  /** CPU time the server used from publish until every stream ACKed (or the timeout). */
  readonly cpuMs: number;
  readonly expected: number;
}

/** The reply to `change`: what was published and when (epoch ms, comparable across processes). */
export interface ChangeReport {
  readonly changed: 'EDS' | 'RDS';
  readonly typeUrl: string;
  readonly version: string;
  readonly atEpochMs: number;
  readonly publishMs: number;
  readonly publishCpuMs: number;
}

/** Wall clock with sub-millisecond resolution, the same in every process of the machine. */
/** User + system CPU time of this process so far. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export const epochMs = (): number => performance.timeOrigin + performance.now();

export const MODEL = 'resnet';
