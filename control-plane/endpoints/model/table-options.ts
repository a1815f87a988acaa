// The endpoint table's settings: health, TTL, weight mode, and the tuner's and overflow's
// parameters. Parsed and checked with the runner's in ../options.ts.
import { DEFAULT_OVERFLOW, type OverflowParams } from './overflow.js';
import { DEFAULT_TUNER, type TunerParams } from './tuner.js';

export type WeightMode = 'adaptive' | 'equal';

export interface TableOptions {
  /** Missed heartbeat intervals before an endpoint is UNHEALTHY. */
  readonly unhealthyAfterMisses: number;
  /** Silence after which a pod is forgotten. */
  readonly ttlMs: number;
  /** For pods that do not say their heartbeat interval. */
  readonly defaultIntervalMs: number;
  /** adaptive: weights from the tuner; equal: no weights (plain round robin). */
  readonly weights: WeightMode;
  readonly tuner: TunerParams;
  readonly overflow: OverflowParams;
}

export const DEFAULT_TABLE_OPTIONS: TableOptions = {
  unhealthyAfterMisses: 3,
  ttlMs: 30_000,
  defaultIntervalMs: 1000,
  weights: 'adaptive',
  tuner: DEFAULT_TUNER,
  overflow: DEFAULT_OVERFLOW,
};
