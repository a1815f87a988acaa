// Discovery settings: the table's (health, TTL, weights, overflow) plus the runner's timing.
// `defaultDiscoveryOptions()` + `parseDiscoveryOptions()`, so callers pass only what they change.
import { OptionError } from '../../kernel/errors/index.js';
import { type OverflowParams, validateOverflow } from './model/overflow.js';
import { DEFAULT_TABLE_OPTIONS, type TableOptions } from './model/table-options.js';
import type { TunerParams } from './model/tuner.js';
import { utilization, utilizationFromPercent } from './model/utilization.js';

export interface DiscoveryOptions extends TableOptions {
  /** How often health ages (a silent pod is noticed at most this late)... */
  readonly tickMs: number;
  /** ...and how often weights and overflow are re-evaluated from the heartbeats since. */
  readonly tuneMs: number;
  /** EDS coalescing: publish after this long without a change... */
  readonly edsQuietMs: number;
  /** ...or this long after the first change of a burst at the latest. */
  readonly edsMaxMs: number;
  /** At start, after the announce: wait at least this long for registrations... */
  readonly warmupMinMs: number;
  /** ...then until none arrived for this long... */
  readonly warmupQuietMs: number;
  /** ...but never longer than this. */
  readonly warmupMaxMs: number;
  /** Announces triggered by unknown pods or revisions: at most one per this interval. */
  readonly announceMinIntervalMs: number;
}

/**
 * The overflow thresholds as operators write them (`--overflow-enter 80`): percent. Converted
 * here, once, into the fractions the table works in (model/utilization.ts).
 */
export interface OverflowInput {
  readonly enterPercent?: number;
  readonly exitPercent?: number;
  readonly holdMs?: number;
}

/** What callers pass: any subset, the tuner and overflow parameters included. */
export type DiscoveryInput = Partial<Omit<DiscoveryOptions, 'tuner' | 'overflow'>> & {
  /** The utilization knee is a fraction 0..1, as in the tuner. */
  readonly tuner?: Partial<Omit<TunerParams, 'utilizationKnee'>> & { readonly utilizationKnee?: number };
  readonly overflow?: OverflowInput;
};

function overflowOf(base: OverflowParams, input: OverflowInput = {}): OverflowParams {
  return {
    enterUtilization:
      input.enterPercent !== undefined ? utilizationFromPercent(input.enterPercent) : base.enterUtilization,
    exitUtilization:
      input.exitPercent !== undefined ? utilizationFromPercent(input.exitPercent) : base.exitUtilization,
    holdMs: input.holdMs ?? base.holdMs,
  };
}

export function defaultDiscoveryOptions(): DiscoveryOptions {
  return {
    ...DEFAULT_TABLE_OPTIONS,
    tickMs: 100,
    tuneMs: 500,
    edsQuietMs: 100,
    edsMaxMs: 1000,
    warmupMinMs: 200,
    warmupQuietMs: 100,
    warmupMaxMs: 2000,
    announceMinIntervalMs: 1000,
  };
}

export function parseDiscoveryOptions(partial: DiscoveryInput = {}): DiscoveryOptions {
  const base = defaultDiscoveryOptions();
  const o: DiscoveryOptions = {
    ...base,
    ...partial,
    tuner: {
      ...base.tuner,
      ...partial.tuner,
      utilizationKnee: utilization(partial.tuner?.utilizationKnee ?? base.tuner.utilizationKnee),
    },
    overflow: overflowOf(base.overflow, partial.overflow),
  };
  if (!(Number.isInteger(o.unhealthyAfterMisses) && o.unhealthyAfterMisses >= 1))
    throw new OptionError(`heartbeat misses must be an integer >= 1, got ${o.unhealthyAfterMisses}`);
  if (!(o.ttlMs > 0)) throw new OptionError(`endpoint TTL must be > 0, got ${o.ttlMs}`);
  if (!(o.edsQuietMs >= 0 && o.edsMaxMs >= o.edsQuietMs))
    throw new OptionError(`EDS coalescing needs 0 <= quiet (${o.edsQuietMs}) <= max (${o.edsMaxMs})`);
  if (o.weights !== 'adaptive' && o.weights !== 'equal')
    throw new OptionError(`weights must be adaptive or equal, got ${JSON.stringify(o.weights)}`);
  const overflow = validateOverflow(o.overflow);
  if (overflow) throw new OptionError(overflow);
  if (!(o.tuner.utilizationKnee >= 0 && o.tuner.utilizationKnee <= 1))
    throw new OptionError(`tuner utilization knee must be within 0..1, got ${o.tuner.utilizationKnee}`);
  if (!(o.tuner.minWeight >= 1 && o.tuner.maxWeight >= o.tuner.minWeight))
    throw new OptionError(`tuner weights need 1 <= min (${o.tuner.minWeight}) <= max (${o.tuner.maxWeight})`);
  return o;
}
