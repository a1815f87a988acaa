import { describe, expect, it } from 'vitest';
import type { ModelSignature } from '../tensors/tensor.js';
import {
  DEFAULT_INLINE_BUDGET_MS,
  type PlacementFacts,
  placeRuns,
  placeSplit,
  placeWithoutProbe,
  probeInputs,
  probeNext,
  SPLIT_MAX_MODEL_BYTES,
  splitProbeRows,
} from './run-placement.js';

const facts = (over: Partial<PlacementFacts> = {}): PlacementFacts => ({
  provider: 'cpu',
  instances: 1,
  budgetMs: 1,
  rows: 32,
  probe: { medianMs: 0.4 },
  ...over,
});

describe('placeRuns: inline or on a worker', () => {
  it('runs a model inline when its largest batch fits the budget, the budget itself included', () => {
    expect(placeRuns(facts())).toEqual({ place: 'inline', reason: '32-row run 0.400 ms <= 1 ms budget' });
    expect(placeRuns(facts({ probe: { medianMs: 1 } })).place).toBe('inline');
  });

  it('keeps a model whose largest batch takes longer on a worker, with the figure as the reason', () => {
    const p = placeRuns(facts({ probe: { medianMs: 1.001 } }));
    expect(p).toEqual({ place: 'worker', reason: '32-row run 1.001 ms > 1 ms budget' });
    expect(placeRuns(facts({ budgetMs: 5, probe: { medianMs: 4.9 } })).place).toBe('inline');
    expect(placeRuns(facts({ budgetMs: 5, probe: { medianMs: 5.1 } })).place).toBe('worker');
  });

  it('never inlines with budget 0, on CUDA, with several instances or without a probe', () => {
    expect(placeRuns(facts({ budgetMs: 0, probe: { medianMs: 0 } }))).toEqual({
      place: 'worker',
      reason: 'inline runs are off (budget 0)',
    });
    expect(placeRuns(facts({ provider: 'cuda' })).reason).toBe('cuda sessions run on a worker');
    expect(placeRuns(facts({ instances: 2 })).reason).toBe('instance_count 2 asks for parallel sessions');
    expect(placeRuns(facts({ probe: { unprobed: 'input x is BYTES' } }))).toEqual({
      place: 'worker',
      reason: 'not probed: input x is BYTES',
    });
  });

  it('says when no probe is needed to decide', () => {
    expect(placeWithoutProbe(facts())).toBeUndefined();
    expect(placeWithoutProbe(facts({ instances: 3 }))?.place).toBe('worker');
    expect(DEFAULT_INLINE_BUDGET_MS).toBeGreaterThan(0);
  });
});

describe('placeSplit: small batches inline, the rest on the worker', () => {
  const worker = placeRuns(facts({ rows: 64, probe: { medianMs: 4.4 } }));
  const small = [
    { rows: 1, medianMs: 0.12 },
    { rows: 2, medianMs: 0.2 },
    { rows: 4, medianMs: 1 },
    { rows: 8, medianMs: 1.9 },
  ];

  it('probes 1, 2, 4, ... rows below the largest batch, stopping after the first over the budget', () => {
    expect(splitProbeRows(64)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(splitProbeRows(5)).toEqual([1, 2, 4]);
    expect(splitProbeRows(1)).toEqual([]);
    expect(probeNext([], 1)).toBe(true);
    expect(probeNext(small.slice(0, 3), 1)).toBe(true);
    expect(probeNext(small, 1)).toBe(false);
  });

  it('runs up to the largest probed batch that fits inline, the budget itself included', () => {
    const p = placeSplit(worker, { budgetMs: 1, modelBytes: 8 << 20, small });
    expect(p.place).toBe('split');
    expect(p.inlineRows).toBe(4);
    expect(p.reason).toBe(
      'up to 4 row(s) inline (4-row run 1.000 ms <= 1 ms budget), larger batches on the worker ' +
        '(64-row run 4.400 ms > 1 ms budget)',
    );
  });

  it('keeps the worker alone when not even one row fits, or the model is too large for a second session', () => {
    const slow = placeSplit(worker, { budgetMs: 1, modelBytes: 1 << 20, small: [{ rows: 1, medianMs: 2 }] });
    expect(slow).toEqual({
      place: 'worker',
      reason: '64-row run 4.400 ms > 1 ms budget, 1-row run 2.000 ms too',
    });
    const big = placeSplit(worker, { budgetMs: 1, modelBytes: SPLIT_MAX_MODEL_BYTES + 1, small });
    expect(big).toEqual({
      place: 'worker',
      reason: '64-row run 4.400 ms > 1 ms budget; too large for a second session',
    });
    expect(placeSplit(worker, { budgetMs: 1, modelBytes: SPLIT_MAX_MODEL_BYTES, small }).place).toBe('split');
  });
});

describe('probeInputs', () => {
  const sig: ModelSignature = {
    inputs: [
      { name: 'image', datatype: 'FP32', shape: [-1, 1, 28, 28] },
      { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
    ],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 10] }],
  };

  it('fills the leading free dimension with the rows, zero-filled, in fresh buffers', () => {
    const a = probeInputs(sig, 16);
    const b = probeInputs(sig, 16);
    if (typeof a === 'string' || typeof b === 'string') throw new Error(String(a));
    expect(a.map((t) => t.shape)).toEqual([
      [16, 1, 28, 28],
      [16, 3],
    ]);
    expect(a[0]!.data.byteLength).toBe(16 * 28 * 28 * 4);
    expect(a[1]!.data.byteLength).toBe(16 * 3 * 8);
    expect(a[0]!.data.every((x) => x === 0)).toBe(true);
    expect(a[0]!.data.buffer).not.toBe(b[0]!.data.buffer);
  });

  it('keeps fixed shapes as they are and names what cannot be probed', () => {
    const fixed = probeInputs({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3] }], outputs: [] }, 64);
    expect(typeof fixed !== 'string' && fixed[0]!.shape).toEqual([2, 3]);
    expect(probeInputs({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }], outputs: [] }, 4)).toBe(
      'input x has a free dimension 1',
    );
    expect(probeInputs({ inputs: [{ name: 's', datatype: 'BYTES', shape: [-1] }], outputs: [] }, 4)).toBe(
      'input s is BYTES',
    );
  });
});
