import { describe, expect, it } from 'vitest';
import type { ModelSignature } from '../tensors/tensor.js';
import {
  DEFAULT_INLINE_BUDGET_MS,
  type PlacementFacts,
  placeRuns,
  placeWithoutProbe,
  probeInputs,
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
