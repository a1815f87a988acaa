// Discovery settings: operators' percent becomes the table's fraction exactly once, and bad
// settings are refused with the figures as the operator wrote them.
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../kernel/errors/index.js';
import { DEFAULT_OVERFLOW } from './model/overflow.js';
import { DEFAULT_TUNER } from './model/tuner.js';
import { parseDiscoveryOptions } from './options.js';

describe('discovery options', () => {
  it('keeps the defaults when nothing is passed', () => {
    const o = parseDiscoveryOptions();
    expect(o.overflow).toEqual(DEFAULT_OVERFLOW);
    expect(o.overflow.enterUtilization).toBe(0.8);
    expect(o.overflow.exitUtilization).toBe(0.5);
    expect(o.tuner).toEqual(DEFAULT_TUNER);
  });

  it('turns the overflow percent into fractions, keeping what is not passed', () => {
    const o = parseDiscoveryOptions({ overflow: { enterPercent: 90 } });
    expect(o.overflow).toEqual({ enterUtilization: 0.9, exitUtilization: 0.5, holdMs: 3000 });
    const both = parseDiscoveryOptions({ overflow: { enterPercent: 70, exitPercent: 35, holdMs: 0 } });
    expect(both.overflow).toEqual({ enterUtilization: 0.7, exitUtilization: 0.35, holdMs: 0 });
  });

  it('refuses overflow thresholds in the wrong order, in the percent the operator wrote', () => {
    expect(() => parseDiscoveryOptions({ overflow: { enterPercent: 50, exitPercent: 60 } })).toThrow(
      'overflow thresholds need 0 <= exit (60) < enter (50) <= 100',
    );
    expect(() => parseDiscoveryOptions({ overflow: { enterPercent: 101 } })).toThrow(OptionError);
    expect(() => parseDiscoveryOptions({ overflow: { exitPercent: -1 } })).toThrow(/exit \(-1\)/);
  });

  it('takes the tuner knee as a fraction and refuses one outside 0..1', () => {
    expect(parseDiscoveryOptions({ tuner: { utilizationKnee: 1 } }).tuner.utilizationKnee).toBe(1);
    expect(() => parseDiscoveryOptions({ tuner: { utilizationKnee: 60 } })).toThrow(
      /knee must be within 0..1/,
    );
  });
});
