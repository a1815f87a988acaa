// What the batcher reports and passes on, besides the batches themselves: the Retry-After
// estimate, the events the pod's metrics come from, the deadline handed to the runtime, how a
// failed run reaches each caller, and idle(). batcher.test.ts covers the batching rules.
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  DeadlineExceededError,
  InferenceFailedError,
  ModelNotReadyError,
  type OverloadedError,
} from '../errors.js';
import { Batcher, type RunBatch } from './batcher.js';
import { Cancellation } from './cancellation.js';
import { base, forever, x } from './testdata/batcher-fixtures.js';

/** Runs held until released; each reports `computeMs` and echoes its input as the output. */
function heldRuntime(computeMs: number[]) {
  const gates: Array<() => void> = [];
  const notAfter: Array<number | undefined> = [];
  let k = 0;
  const run: RunBatch = (inputs, until) => {
    notAfter.push(until);
    const ms = computeMs[Math.min(k++, computeMs.length - 1)]!;
    return new Promise((resolve) => gates.push(() => resolve({ outputs: [...inputs], computeMs: ms })));
  };
  const release = async () => {
    gates.shift()!();
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  };
  return { run, gates, notAfter, release };
}

describe('Batcher accounting', () => {
  it('estimates Retry-After from the queue, the batch size, the instances and the recent run time', async () => {
    const rt = heldRuntime([3000, 1000]);
    const b = new Batcher({ ...base, instances: 2 }, rt.run);
    // No run measured yet: 10 ms per run, so a second at least.
    expect(b.retryAfterSeconds()).toBe(1);
    const first = [b.submit(x(), 1, '1', forever), b.submit(x(), 1, '1', forever)];
    await rt.release();
    await rt.release();
    await Promise.all(first);
    // Both instances busy, then 25 queued: ceil(25 / 8) = 4 runs of the average so far.
    const held = [b.submit(x(), 1, '1', forever), b.submit(x(), 1, '1', forever)];
    const queued = Array.from({ length: 25 }, () => b.submit(x(), 1, '1', forever));
    expect(b.queueDepth).toBe(25);
    // ewma after 3000 then 1000: 3000 * 0.8 + 1000 * 0.2 = 2600; 4 runs * 2600 / 2 = 5.2 s (an
    // average that subtracted the new run, 2200, would give 4.4 s).
    expect(b.retryAfterSeconds()).toBe(6);
    while (rt.gates.length) await rt.release();
    await Promise.all([...held, ...queued]);
  });

  it('estimates one run per request when unbatched', () => {
    const rt = heldRuntime([5]);
    const b = new Batcher({ ...base, maxBatchSize: 0, instances: 1, queueLimit: 300 }, rt.run);
    b.submit(x(), 1, '', forever);
    for (let i = 0; i < 250; i++) b.submit(x(), 1, '', forever).catch(() => {});
    // 250 queued runs of 10 ms (nothing measured yet): 2.5 s.
    expect(b.retryAfterSeconds()).toBe(3);
  });

  it('reports each request’s wait and each batch’s rows, requests and compute time', async () => {
    let now = 100;
    const waits: number[] = [];
    const batches: number[][] = [];
    const rt = heldRuntime([7, 9]);
    const b = new Batcher({ ...base, now: () => now }, rt.run, {
      dequeued: (ms) => waits.push(ms),
      batch: (rows, requests, ms) => batches.push([rows, requests, ms]),
    });
    const a = b.submit(x(), 1, '1', forever);
    now = 130;
    const c = b.submit(x(2), 2, '1', forever);
    now = 150;
    const d = b.submit(x(), 1, '1', forever);
    now = 170;
    await rt.release();
    await rt.release();
    await Promise.all([a, c, d]);
    expect(waits).toEqual([0, 40, 20]);
    expect(batches).toEqual([
      [1, 1, 7],
      [3, 2, 9],
    ]);
  });

  it('hands the runtime the earliest deadline of a batch, and none when no request has one', async () => {
    const rt = heldRuntime([1]);
    const b = new Batcher({ ...base, now: () => 0 }, rt.run);
    const a = b.submit(x(), 1, '1', forever);
    const c = b.submit(x(), 1, '1', { deadline: 9000 });
    const d = b.submit(x(), 1, '1', { deadline: 5000 });
    await rt.release();
    await rt.release();
    await Promise.all([a, c, d]);
    expect(rt.notAfter).toEqual([undefined, 5000]);
  });

  it('fails the callers with what the runtime threw, wrapping what is not an Error', async () => {
    let calls = 0;
    const b = new Batcher(base, () => {
      calls++;
      if (calls === 1) throw new RangeError('sync');
      return Promise.reject('plain text');
    });
    await expect(b.submit(x(), 1, '1', forever)).rejects.toThrow(new RangeError('sync'));
    const err = await b.submit(x(), 1, '1', forever).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceFailedError);
    expect((err as Error).message).toBe('plain text');
    expect(b.busyInstances).toBe(0);
    expect(b.inFlight).toBe(0);
  });

  it('refuses at once a request already cancelled, past its deadline, or for a closing model', async () => {
    const b = new Batcher({ ...base, now: () => 1000 }, heldRuntime([1]).run);
    const gone = new Cancellation();
    gone.cancel();
    await expect(b.submit(x(), 1, '1', { ...forever, cancellation: gone })).rejects.toBeInstanceOf(
      CancelledError,
    );
    await expect(b.submit(x(), 1, '1', { deadline: 1000 })).rejects.toThrow(
      new DeadlineExceededError('before queueing'),
    );
    expect(b.inFlight).toBe(0);
    await b.close();
    await expect(b.submit(x(), 1, '1', forever)).rejects.toThrow(
      new ModelNotReadyError('m', '1', 'unloading'),
    );
  });

  it('sheds with the model, version, limit and estimate', async () => {
    const b = new Batcher({ ...base, queueLimit: 1 }, heldRuntime([1]).run);
    b.submit(x(), 1, '1', forever);
    b.submit(x(), 1, '1', forever);
    const e = (await b.submit(x(), 1, '1', forever).catch((err: unknown) => err)) as OverloadedError;
    expect([e.model, e.version, e.queueLimit, e.retryAfterSeconds]).toEqual(['m', '1', 1, 1]);
  });

  it('is idle at once when nothing is in flight, and once the last request is done or dropped', async () => {
    const rt = heldRuntime([1]);
    const b = new Batcher(base, rt.run);
    await b.idle();
    const a = b.submit(x(), 1, '1', forever);
    const cancellation = new Cancellation();
    const dropped = b.submit(x(), 1, '1', { ...forever, cancellation }).catch((e: unknown) => e);
    let idle = false;
    const waiting = b.idle().then(() => {
      idle = true;
    });
    cancellation.cancel();
    expect(await dropped).toBeInstanceOf(CancelledError);
    await new Promise((r) => setTimeout(r, 0));
    expect(idle).toBe(false);
    await rt.release();
    await a;
    await waiting;
    expect(idle).toBe(true);
  });
});
