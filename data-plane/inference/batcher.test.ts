import { describe, expect, it } from 'vitest';
import { CancelledError, DeadlineExceededError, OverloadedError } from '../errors.js';
import type { Tensor } from '../tensors/tensor.js';
import { Batcher, type BatcherOptions, type RunBatch } from './batcher.js';
import { Cancellation } from './cancellation.js';

/** One FP32 input of shape [rows, 2]; row r of request `id` holds [id, r]. */
function request(id: number, rows = 1): Tensor[] {
  const v = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) v.set([id, r], r * 2);
  return [{ name: 'x', datatype: 'FP32', shape: [rows, 2], data: new Uint8Array(v.buffer) }];
}

/** A fake runtime: output y = 10 * x, recording each batch's rows; resolves when released. */
function fakeRuntime() {
  const batches: number[] = [];
  const gates: Array<() => void> = [];
  const run: RunBatch = (inputs) => {
    const x = inputs[0]!;
    batches.push(x.shape[0]!);
    const f = new Float32Array(x.data.slice().buffer);
    const y = f.map((v) => v * 10);
    return new Promise((resolve) => {
      gates.push(() =>
        resolve({
          outputs: [{ name: 'y', datatype: 'FP32', shape: [...x.shape], data: new Uint8Array(y.buffer) }],
          computeMs: 5,
        }),
      );
    });
  };
  const releaseAll = async () => {
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setTimeout(r, 0));
    }
  };
  return { run, batches, gates, releaseAll };
}

const base: BatcherOptions = {
  model: 'm',
  version: '1',
  maxBatchSize: 8,
  maxQueueDelayMs: 0,
  queueLimit: 100,
  instances: 1,
};
const noDeadline = { deadline: Number.POSITIVE_INFINITY };

function rowsOf(t: Tensor): number[][] {
  const f = new Float32Array(t.data.slice().buffer);
  const out: number[][] = [];
  for (let i = 0; i < f.length; i += 2) out.push([f[i]!, f[i + 1]!]);
  return out;
}

describe('Batcher', () => {
  it('runs a lone request at once, then merges what queued meanwhile, each caller getting its own rows', async () => {
    const rt = fakeRuntime();
    const b = new Batcher(base, rt.run);
    const first = b.submit(request(1), 1, '2', noDeadline);
    expect(rt.batches).toEqual([1]);
    const rest = [2, 3, 4].map((id) =>
      b.submit(request(id, id === 3 ? 2 : 1), id === 3 ? 2 : 1, '2', noDeadline),
    );
    expect(b.queueDepth).toBe(3);
    await rt.releaseAll();
    expect(rt.batches).toEqual([1, 4]);
    expect(rowsOf((await first)[0]!)).toEqual([[10, 0]]);
    const [r2, r3, r4] = await Promise.all(rest);
    expect(rowsOf(r2![0]!)).toEqual([[20, 0]]);
    expect(rowsOf(r3![0]!)).toEqual([
      [30, 0],
      [30, 10],
    ]);
    expect(r3![0]!.shape).toEqual([2, 2]);
    expect(rowsOf(r4![0]!)).toEqual([[40, 0]]);
  });

  it('never exceeds max_batch_size and only merges requests of the same trailing shape', async () => {
    const rt = fakeRuntime();
    const b = new Batcher({ ...base, maxBatchSize: 4 }, rt.run);
    const blocker = b.submit(request(0), 1, 'a', noDeadline);
    const all = [1, 2, 3, 4, 5, 6].map((id) => b.submit(request(id), 1, id % 2 ? 'a' : 'b', noDeadline));
    await rt.releaseAll();
    await Promise.all([blocker, ...all]);
    // blocker alone; then the oldest (key a: 1,3,5) together; then key b (2,4,6).
    expect(rt.batches).toEqual([1, 3, 3]);
  });

  it('passes over a request whose rows would overflow the batch and takes a smaller one behind it', async () => {
    const rt = fakeRuntime();
    const b = new Batcher({ ...base, maxBatchSize: 4 }, rt.run);
    const blocker = b.submit(request(0), 1, 'a', noDeadline);
    const rows = [1, 1, 1, 2, 1];
    const all = rows.map((n, id) => b.submit(request(id + 1, n), n, 'a', noDeadline));
    await rt.releaseAll();
    await Promise.all([blocker, ...all]);
    // 1 + 1 + 1 leaves room for 1: the two-row request waits for the next batch.
    expect(rt.batches).toEqual([1, 4, 2]);
  });

  it('runs requests one by one when unbatched', async () => {
    const rt = fakeRuntime();
    const b = new Batcher({ ...base, maxBatchSize: 0 }, rt.run);
    const all = [1, 2, 3].map((id) => b.submit(request(id), 1, '', noDeadline));
    await rt.releaseAll();
    await Promise.all(all);
    expect(rt.batches).toEqual([1, 1, 1]);
  });

  it('keeps up to `instances` runs going at once', async () => {
    const rt = fakeRuntime();
    const b = new Batcher({ ...base, instances: 2 }, rt.run);
    const all = [1, 2, 3].map((id) => b.submit(request(id), 1, '2', noDeadline));
    expect(rt.batches).toEqual([1, 1]);
    expect(b.busyInstances).toBe(2);
    expect(b.inFlight).toBe(3);
    await rt.releaseAll();
    await Promise.all(all);
    expect(rt.batches).toEqual([1, 1, 1]);
  });

  it('queues a second run behind the first when slots allow, but not requests that could expire waiting', async () => {
    const rt = fakeRuntime();
    // One row fills a batch: only a full batch goes out behind a running one.
    const b = new Batcher({ ...base, maxBatchSize: 1, instances: 1, slots: 2, now: () => 0 }, rt.run);
    const first = b.submit(request(1), 1, '2', noDeadline);
    // With no run time measured yet, a pipelined run is assumed to wait 2 x 10 ms.
    const tight = b.submit(request(2), 1, '2', { deadline: 15 });
    const loose = b.submit(request(3), 1, '2', noDeadline);
    expect(rt.batches).toEqual([1, 1]);
    expect(b.queueDepth).toBe(1);
    await rt.releaseAll();
    await Promise.all([first, tight, loose]);
    expect(rt.batches).toEqual([1, 1, 1]);
  });

  it('hands a run out behind a running one only for a full batch; fewer wait and go out with what came meanwhile', async () => {
    const rt = fakeRuntime();
    const b = new Batcher({ ...base, maxBatchSize: 4, instances: 1, slots: 2 }, rt.run);
    const calls = [b.submit(request(1), 1, '2', noDeadline)];
    calls.push(b.submit(request(2), 1, '2', noDeadline), b.submit(request(3), 1, '2', noDeadline));
    expect(rt.batches).toEqual([1]);
    expect(b.queueDepth).toBe(2);
    // A request of another shape does not count toward the oldest one's batch.
    const other: Tensor[] = [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: new Uint8Array(24) }];
    calls.push(b.submit(other, 2, '3', noDeadline));
    expect(rt.batches).toEqual([1]);
    calls.push(b.submit(request(4, 2), 2, '2', noDeadline));
    expect(rt.batches).toEqual([1, 4]);
    expect(b.queueDepth).toBe(1);
    calls.push(b.submit(request(5), 1, '2', noDeadline));
    // The first run ends: the second is running, and two requests are not a full batch.
    rt.gates.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(rt.batches).toEqual([1, 4]);
    expect(b.queueDepth).toBe(2);
    await rt.releaseAll();
    await Promise.all(calls);
    expect(rt.batches).toEqual([1, 4, 2, 1]);
  });

  it('hands an unbatched model’s next request out behind the running one at once', async () => {
    const rt = fakeRuntime();
    const b = new Batcher({ ...base, maxBatchSize: 0, instances: 1, slots: 2 }, rt.run);
    const calls = [1, 2, 3].map((id) => b.submit(request(id), 1, '2', noDeadline));
    expect(rt.batches).toEqual([1, 1]);
    expect(b.queueDepth).toBe(1);
    await rt.releaseAll();
    await Promise.all(calls);
    expect(rt.batches).toEqual([1, 1, 1]);
  });

  it('sheds beyond the queue limit with a Retry-After estimate', async () => {
    const rt = fakeRuntime();
    const b = new Batcher({ ...base, queueLimit: 2 }, rt.run);
    const ok = [1, 2, 3].map((id) => b.submit(request(id), 1, '2', noDeadline));
    const shed = b.submit(request(4), 1, '2', noDeadline);
    await expect(shed).rejects.toBeInstanceOf(OverloadedError);
    await shed.catch((e: OverloadedError) => {
      expect(e.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(e.httpStatus).toBe(429);
    });
    await rt.releaseAll();
    await Promise.all(ok);
  });

  it('never runs a request whose deadline passed while it waited', async () => {
    const rt = fakeRuntime();
    let now = 1000;
    const b = new Batcher({ ...base, now: () => now }, rt.run);
    const running = b.submit(request(1), 1, '2', { deadline: 5000 });
    const expiring = b.submit(request(2), 1, '2', { deadline: 1500 }).catch((e: unknown) => e);
    const fine = b.submit(request(3), 1, '2', { deadline: 5000 });
    now = 2000;
    await rt.releaseAll();
    expect(await expiring).toBeInstanceOf(DeadlineExceededError);
    await Promise.all([running, fine]);
    expect(rt.batches).toEqual([1, 1]);
    await expect(b.submit(request(4), 1, '2', { deadline: 1999 })).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
  });

  it('drops a queued request whose caller went away', async () => {
    const rt = fakeRuntime();
    const b = new Batcher(base, rt.run);
    const first = b.submit(request(1), 1, '2', noDeadline);
    const cancellation = new Cancellation();
    const gone = b.submit(request(2), 1, '2', { ...noDeadline, cancellation });
    cancellation.cancel();
    await expect(gone).rejects.toBeInstanceOf(CancelledError);
    expect(b.queueDepth).toBe(0);
    await rt.releaseAll();
    await first;
    expect(rt.batches).toEqual([1]);
  });

  it('waits up to max_queue_delay for a fuller batch when asked to', async () => {
    const rt = fakeRuntime();
    const b = new Batcher({ ...base, maxQueueDelayMs: 30, maxBatchSize: 3 }, rt.run);
    const a = b.submit(request(1), 1, '2', noDeadline);
    expect(rt.batches).toEqual([]);
    const c = b.submit(request(2), 1, '2', noDeadline);
    const d = b.submit(request(3), 1, '2', noDeadline);
    // Full at 3 rows: it goes at once, without waiting out the delay.
    expect(rt.batches).toEqual([3]);
    const e = b.submit(request(4), 1, '2', noDeadline);
    await rt.releaseAll();
    expect(rt.batches).toEqual([3]);
    await new Promise((r) => setTimeout(r, 60));
    await rt.releaseAll();
    expect(rt.batches).toEqual([3, 1]);
    await Promise.all([a, c, d, e]);
  });

  it('fails every request of a batch whose run fails, and keeps going', async () => {
    let calls = 0;
    const b = new Batcher(base, async (inputs) => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return { outputs: [{ ...inputs[0]!, name: 'y' }], computeMs: 1 };
    });
    await expect(b.submit(request(1), 1, '2', noDeadline)).rejects.toThrow('boom');
    await expect(b.submit(request(2), 1, '2', noDeadline)).resolves.toHaveLength(1);
  });

  it('close() refuses new requests and resolves once queued and running ones finish', async () => {
    const rt = fakeRuntime();
    const b = new Batcher(base, rt.run);
    const pending = [1, 2].map((id) => b.submit(request(id), 1, '2', noDeadline));
    let closed = false;
    const closing = b.close().then(() => {
      closed = true;
    });
    await expect(b.submit(request(3), 1, '2', noDeadline)).rejects.toThrow(/unloading/);
    await new Promise((r) => setTimeout(r, 5));
    expect(closed).toBe(false);
    await rt.releaseAll();
    await closing;
    await Promise.all(pending);
    expect(b.inFlight).toBe(0);
  });
});
