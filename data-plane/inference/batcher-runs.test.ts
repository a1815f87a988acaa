// What a run is handed and what each caller gets back: a lone request's tensors as they are,
// an unbatched model's outputs whole (they need not lead with a batch dimension), and the
// per-request hooks the trace and log line come from. batcher.test.ts covers merging and
// splitting rows.
import { describe, expect, it, vi } from 'vitest';
import type { Tensor } from '../tensors/tensor.js';
import type { RequestHooks } from '../tracing/hooks.js';
import { Batcher, type RunBatch } from './batcher.js';
import { base, forever, x } from './testdata/batcher-fixtures.js';

/** Records every hook call of one request, in order. */
function recorder(): { calls: unknown[][]; hooks: RequestHooks } {
  const calls: unknown[][] = [];
  return {
    calls,
    hooks: {
      resolved: (model, version) => calls.push(['resolved', model, version]),
      queued: () => calls.push(['queued']),
      dequeued: (rows, requests) => calls.push(['dequeued', rows, requests]),
      ran: (ms) => calls.push(['ran', ms]),
    },
  };
}

describe('Batcher runs', () => {
  it('hands a lone request’s own tensors to the runtime, without copying them', async () => {
    const seen: Array<readonly Tensor[]> = [];
    const b = new Batcher(base, async (inputs) => {
      seen.push(inputs);
      return { outputs: [...inputs], computeMs: 1 };
    });
    const inputs = x(3);
    await b.submit(inputs, 3, 'k', forever);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(inputs);
  });

  it('gives an unbatched model’s caller every output whole, whatever its leading dimension', async () => {
    // A model without a variable batch dimension may answer [3] for a request of one row.
    const outputs: Tensor[] = [
      { name: 'scores', datatype: 'FP32', shape: [3], data: new Uint8Array(12).fill(1) },
      { name: 'label', datatype: 'INT64', shape: [], data: new Uint8Array(8).fill(2) },
    ];
    const b = new Batcher({ ...base, maxBatchSize: 0 }, async () => ({ outputs, computeMs: 1 }));
    const got = await b.submit(x(), 1, '', forever);
    expect(got).toEqual(outputs);
    expect(got[0]).toBe(outputs[0]);
    expect(got[1]).toBe(outputs[1]);
    // The caller's list is its own: the runtime's is not handed out to be changed.
    expect(got).not.toBe(outputs);
  });

  it('tells each request’s hooks when it queued, the rows and requests of the run it left in, and the run’s compute time', async () => {
    const gates: Array<() => void> = [];
    const run: RunBatch = (inputs) =>
      new Promise((resolve) => gates.push(() => resolve({ outputs: [...inputs], computeMs: 7 })));
    const b = new Batcher(base, run);
    const [a, c, d] = [recorder(), recorder(), recorder()];
    const first = b.submit(x(), 1, 'k', { ...forever, hooks: a.hooks });
    expect(a.calls).toEqual([['queued'], ['dequeued', 1, 1]]);
    const rest = [
      b.submit(x(2), 2, 'k', { ...forever, hooks: c.hooks }),
      b.submit(x(), 1, 'k', { ...forever, hooks: d.hooks }),
    ];
    expect(c.calls).toEqual([['queued']]);
    gates.shift()!();
    await first;
    // The next run forms once the first has finished (its promise chain runs out).
    await vi.waitFor(() => expect(gates).toHaveLength(1), { timeout: 10_000 });
    expect(a.calls).toEqual([['queued'], ['dequeued', 1, 1], ['ran', 7]]);
    expect(c.calls).toEqual([['queued'], ['dequeued', 3, 2]]);
    gates.shift()!();
    await Promise.all(rest);
    expect(c.calls).toEqual([['queued'], ['dequeued', 3, 2], ['ran', 7]]);
    expect(d.calls).toEqual([['queued'], ['dequeued', 3, 2], ['ran', 7]]);
  });
});
