// Durations in the Go/Envoy spelling: every unit, composites, fractions, and every way a string
// fails to be one (the policy checker relies on `undefined` to name the field).
import { describe, expect, it } from 'vitest';
import { durationMs, parseDurationNs } from './duration.js';

describe('parseDurationNs', () => {
  it('reads each unit, composites and fractions', () => {
    expect(parseDurationNs('10us')).toBe(10_000);
    expect(parseDurationNs('250ms')).toBe(250_000_000);
    expect(parseDurationNs('1s')).toBe(1e9);
    expect(parseDurationNs('2m')).toBe(120e9);
    expect(parseDurationNs('1.5h')).toBe(5_400e9);
    expect(parseDurationNs('1m30s')).toBe(90e9);
    expect(parseDurationNs('1h1m1s1ms1us')).toBe(3_661_001_001_000);
  });

  it('rounds to whole nanoseconds', () => {
    expect(parseDurationNs('0.0015us')).toBe(2);
    expect(parseDurationNs('0.0007us')).toBe(1);
  });

  it('refuses empty text, a bare number, unknown units and anything around a duration', () => {
    for (const bad of ['', '1', 'ms', '1x', '1d', ' 1s', '1s ', '1s2', '1 s', '-1s', '1.s', '.5s', '1s-'])
      expect(parseDurationNs(bad), bad).toBeUndefined();
  });

  it('starts every parse afresh, whatever the one before it read or refused', () => {
    expect(parseDurationNs('1h30m15s')).toBe(5_415e9);
    expect(parseDurationNs('1s')).toBe(1e9);
    expect(parseDurationNs('1s2x')).toBeUndefined();
    expect(parseDurationNs('3ms')).toBe(3e6);
  });
});

describe('durationMs', () => {
  it('gives milliseconds, fractions included', () => {
    expect(durationMs('1.5s')).toBe(1_500);
    expect(durationMs('20us')).toBe(0.02);
  });

  it('throws a TypeError quoting text that is not a duration', () => {
    expect(() => durationMs('soon')).toThrow(new TypeError('not a duration: "soon"'));
    expect(() => durationMs('')).toThrow(TypeError);
  });
});
