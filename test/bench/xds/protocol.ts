// Messages between the xDS benchmark's parent and its two child processes.
export type ServerCommand =
  | { cmd: 'mem' }
  | { cmd: 'heap'; file: string }
  | { cmd: 'change'; type: 'EDS' | 'RDS' }
  | { cmd: 'await-acks'; type: 'EDS' | 'RDS'; count: number; timeoutMs: number };

/** `total`: streams this load process holds after the command; node ids start at `firstId`. */
export type LoadCommand =
  | { cmd: 'open'; total: number; firstId: number; address: string; batch: number }
  | { cmd: 'close' };

export interface MemSample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly streams: number;
}

export interface AckReport {
  readonly latenciesMs: number[];
  readonly expected: number;
}

export const MODEL = 'resnet';
