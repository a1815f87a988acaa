// What happens to requests while they wait in the batcher: the max_queue_delay timer, the
// deadline margin of a run handed out behind a running one (slots beyond instances), expired
// requests found while a batch forms, and idle() while requests are queued. batcher.test.ts
// covers the batching rules, batcher-accounting.test.ts what the batcher reports.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, DeadlineExceededError } from '../errors.js';
import type { Tensor } from '../tensors/tensor.js';
import { Batcher, type RunBatch } from './batcher.js';
import { Cancellation } from './cancellation.js';
import { base, forever, x } from './testdata/batcher-fixtures.js';

/** Runs held until released, in order; each echoes its input and reports `computeMs`. */
function heldRuntime(computeMs = 5) {
  const gates: Array<() => void> = [];
  const rows: number[] = [];
  const run: RunBatch = (inputs) => {
    // A run handed no input at all is recorded too (as 0 rows): it must never happen.
    rows.push(inputs[0]?.shape[0] ?? 0);
    return new Promise((resolve) => gates.push(() => resolve({ outputs: [...inputs], computeMs })));
  };
  return { run, gates, rows };
}

/** Lets promise chains run out; setImmediate is never faked here. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

async function release(rt: ReturnType<typeof heldRuntime>): Promise<void> {
  rt.gates.shift()!();
  await settle();
}

/** Tracks whether a request settled, and how. */
function track(p: Promise<Tensor[]>) {
  const state: { done: boolean; error?: unknown } = { done: false };
  p.then(
    () => {
      state.done = true;
    },
    (e: unknown) => {
      state.done = true;
      state.error = e;
    },
  );
  return state;
}

describe('Batcher: max_queue_delay', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds a lone request exactly max_queue_delay_ms, on one timer rather than by polling the clock', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let clockReads = 0;
    const rt = heldRuntime();
    const b = new Batcher(
      {
        ...base,
        maxBatchSize: 4,
        maxQueueDelayMs: 30,
        now: () => {
          clockReads++;
          return Date.now();
        },
      },
      rt.run,
    );
    const a = track(b.submit(x(), 1, 'k', forever));
    expect(vi.getTimerCount()).toBe(1);
    const readsAfterSubmit = clockReads;
    await vi.advanceTimersByTimeAsync(29);
    expect(rt.rows).toEqual([]);
    expect(clockReads).toBe(readsAfterSubmit);
    await vi.advanceTimersByTimeAsync(1);
    expect(rt.rows).toEqual([1]);
    expect(vi.getTimerCount()).toBe(0);
    await release(rt);
    expect(a).toEqual({ done: true });
  });

  it('re-arms the one timer for what is left of the oldest request’s delay when another arrives', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rt = heldRuntime();
    const b = new Batcher({ ...base, maxBatchSize: 4, maxQueueDelayMs: 30, now: () => Date.now() }, rt.run);
    b.submit(x(), 1, 'a', forever);
    await vi.advanceTimersByTimeAsync(20);
    // A request that cannot join the first (another trailing shape) pumps the queue again.
    b.submit(x(), 1, 'b', forever);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(9);
    expect(rt.rows).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(rt.rows).toEqual([1]);
    // The second was queued at 20 ms: its own delay ends at 50 ms, not when the instance frees.
    rt.gates.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(rt.rows).toEqual([1]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(19);
    expect(rt.rows).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(rt.rows).toEqual([1, 1]);
  });

  it('sends a batch that fills before the delay at once, and leaves no timer behind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rt = heldRuntime();
    const b = new Batcher({ ...base, maxBatchSize: 3, maxQueueDelayMs: 30, now: () => Date.now() }, rt.run);
    b.submit(x(), 1, 'k', forever);
    b.submit(x(2), 2, 'k', forever);
    expect(rt.rows).toEqual([3]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses an expired request found while the oldest waits for company, without waiting out the delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rt = heldRuntime();
    const t0 = Date.now();
    const b = new Batcher({ ...base, maxBatchSize: 4, maxQueueDelayMs: 30, now: () => Date.now() }, rt.run);
    b.submit(x(), 1, 'h', forever);
    const expiring = track(b.submit(x(), 1, 'e', { deadline: t0 + 10 }));
    await vi.advanceTimersByTimeAsync(15);
    expect(expiring.done).toBe(false);
    // The next arrival makes the batcher look at the queue again: the expired one goes then.
    b.submit(x(), 1, 'n', forever);
    await settle();
    expect(expiring.error).toEqual(new DeadlineExceededError('while queued'));
    expect(b.queueDepth).toBe(2);
    expect(rt.rows).toEqual([]);
  });

  it('refuses a lone request that expired while it waited for company when the delay ends, and runs nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rt = heldRuntime();
    const t0 = Date.now();
    const b = new Batcher({ ...base, maxQueueDelayMs: 30, now: () => Date.now() }, rt.run);
    const lone = track(b.submit(x(), 1, 'k', { deadline: t0 + 10 }));
    await vi.advanceTimersByTimeAsync(30);
    expect(lone.error).toEqual(new DeadlineExceededError('while queued'));
    expect(rt.rows).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(b.inFlight).toBe(0);
  });

  it('is idle once a request waiting for company is cancelled, before the delay ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rt = heldRuntime();
    const b = new Batcher({ ...base, maxQueueDelayMs: 30, now: () => Date.now() }, rt.run);
    const cancellation = new Cancellation();
    const gone = track(b.submit(x(), 1, 'k', { ...forever, cancellation }));
    let idle = false;
    void b.idle().then(() => {
      idle = true;
    });
    cancellation.cancel();
    await settle();
    expect(gone.error).toBeInstanceOf(CancelledError);
    expect(idle).toBe(true);
    expect(rt.rows).toEqual([]);
  });

  it('counts a request as in flight from the timer’s end until its run is done', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const rt = heldRuntime();
    const b = new Batcher({ ...base, maxQueueDelayMs: 30, now: () => Date.now() }, rt.run);
    const a = track(b.submit(x(), 1, 'k', forever));
    let idle = false;
    void b.idle().then(() => {
      idle = true;
    });
    await vi.advanceTimersByTimeAsync(30);
    expect(rt.rows).toEqual([1]);
    await settle();
    expect(idle).toBe(false);
    expect(b.inFlight).toBe(1);
    await release(rt);
    expect(a.done).toBe(true);
    expect(idle).toBe(true);
  });
  it('never holds a request when max_queue_delay_ms is 0, even if the clock steps back', async () => {
    let now = 1000;
    const rt = heldRuntime();
    const b = new Batcher({ ...base, now: () => now }, rt.run);
    const running = b.submit(x(), 1, 'k', forever);
    const queued = b.submit(x(), 1, 'k', forever);
    // A wall clock adjusted backwards: the queued request now looks enqueued in the future.
    now = 900;
    await release(rt);
    await running;
    expect(rt.rows).toEqual([1, 1]);
    await release(rt);
    await queued;
  });
});

describe('Batcher: deadlines while queued', () => {
  it('hands a run out behind a running one only to requests whose deadline outlasts twice the measured run time', async () => {
    let now = 1000;
    const rt = heldRuntime(50);
    // One row fills a batch: only a full batch goes out behind a running one.
    const b = new Batcher({ ...base, maxBatchSize: 1, slots: 2, now: () => now }, rt.run);
    const warm = b.submit(x(), 1, 'k', forever);
    await release(rt);
    await warm;
    const running = b.submit(x(), 1, 'k', forever);
    // 2 x 50 ms: a deadline exactly 100 ms away may expire in the worker's inbox; 101 ms may not.
    const tight = track(b.submit(x(), 1, 'k', { deadline: now + 100 }));
    expect(b.queueDepth).toBe(1);
    const loose = b.submit(x(), 1, 'k', { deadline: now + 101 });
    expect(rt.rows).toEqual([1, 1, 1]);
    expect(b.queueDepth).toBe(1);
    now += 10;
    await release(rt);
    await running;
    await release(rt);
    await loose;
    expect(rt.rows).toEqual([1, 1, 1, 1]);
    await release(rt);
    expect(tight).toEqual({ done: true });
  });

  it('refuses expired requests found when only a run behind a running one could take them', async () => {
    let now = 0;
    const rt = heldRuntime();
    // One row fills a batch: only a full batch goes out behind a running one.
    const b = new Batcher({ ...base, maxBatchSize: 1, slots: 2, now: () => now }, rt.run);
    const running = b.submit(x(), 1, 'k', forever);
    // No run time measured yet: 2 x 10 ms. Both are too close to their deadline to run behind.
    const first = track(b.submit(x(), 1, 'k', { deadline: 15 }));
    now = 16;
    const second = track(b.submit(x(), 1, 'k', { deadline: 30 }));
    await settle();
    expect(first.error).toEqual(new DeadlineExceededError('while queued'));
    expect(second.done).toBe(false);
    expect(b.queueDepth).toBe(1);
    expect(rt.rows).toEqual([1]);
    await release(rt);
    await running;
    expect(rt.rows).toEqual([1, 1]);
    await release(rt);
    expect(second).toEqual({ done: true });
  });

  it('treats a deadline equal to the clock as passed when the batch forms', async () => {
    let now = 1000;
    const rt = heldRuntime();
    const b = new Batcher({ ...base, now: () => now }, rt.run);
    const running = b.submit(x(), 1, 'k', forever);
    const due = track(b.submit(x(), 1, 'k', { deadline: 1500 }));
    now = 1500;
    await release(rt);
    await running;
    expect(due.error).toEqual(new DeadlineExceededError('while queued'));
    expect(rt.rows).toEqual([1]);
    expect(b.queueDepth).toBe(0);
    expect(b.inFlight).toBe(0);
  });

  it('stops looking once a batch is full: what lies behind it, expired or not, waits for the next batch', async () => {
    let now = 0;
    const rt = heldRuntime();
    const b = new Batcher({ ...base, maxBatchSize: 2, now: () => now }, rt.run);
    const running = b.submit(x(), 1, 'k', forever);
    const pair = [b.submit(x(), 1, 'k', forever), b.submit(x(), 1, 'k', forever)];
    const expiring = track(b.submit(x(), 1, 'k', { deadline: 50 }));
    now = 60;
    await release(rt);
    await running;
    // Exactly max_batch_size rows: the pair fills the batch.
    expect(rt.rows).toEqual([1, 2]);
    expect(expiring.done).toBe(false);
    expect(b.queueDepth).toBe(1);
    await release(rt);
    await Promise.all(pair);
    expect(expiring.error).toEqual(new DeadlineExceededError('while queued'));
    expect(rt.rows).toEqual([1, 2]);
  });
});
