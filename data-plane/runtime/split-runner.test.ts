// The split placement against real ONNX Runtime sessions, one in a real worker thread: a model
// whose largest batch is far over the budget and whose single row is far under it gets a
// main-thread session for its small batches; each batch runs where its size says (seen in the
// two sessions' busy time), with the answers of a direct session.run either way.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, heWeights, seededRandom } from '../models/onnx-builder.js';
import { BUILTIN_MODEL_DEFAULTS } from '../repository/config.js';
import type { ModelSignature, Tensor } from '../tensors/tensor.js';
import { placeRunner } from './place-runner.js';
import type { SplitRunner } from './split-runner.js';
import { WorkerPool } from './worker-pool.js';

const IN = 512;
const HIDDEN = 4096;
const OUT = 8;
// 4096 rows through a 512 -> 4096 -> 8 MLP are 17 GFLOP (tens of milliseconds at least); one row
// is 4 MFLOP (microseconds).
const MAX_ROWS = 4096;
const BUDGET_MS = 5;

function model(): Uint8Array {
  const rand = seededRandom(5);
  const g = new GraphBuilder('split_test');
  const x = g.input('input', ['N', IN]);
  const h = g.op('Relu', [
    g.op('MatMul', [x, g.weight('w0', [IN, HIDDEN], heWeights(rand, IN * HIDDEN, IN))]),
  ]);
  g.op('MatMul', [h, g.weight('w1', [HIDDEN, OUT], heWeights(rand, HIDDEN * OUT, HIDDEN))], {}, 'output');
  g.output('output', ['N', OUT]);
  return g.encode('split runner test model');
}

const signature: ModelSignature = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, IN] }],
  outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, OUT] }],
};

const rowsOf = (rows: number, seed: number) =>
  Float32Array.from({ length: rows * IN }, (_, i) => Math.sin(i * 0.11 + seed));

function input(rows: number, seed: number): Tensor[] {
  const data = rowsOf(rows, seed);
  return [{ name: 'input', datatype: 'FP32', shape: [rows, IN], data: new Uint8Array(data.buffer) }];
}

const f32 = (t: Tensor) => new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4);

describe('split placement: small batches inline, large ones on the worker', () => {
  let root: string;
  let reference: ort.InferenceSession;
  let runner: SplitRunner;
  let reason: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sy-split-'));
    const modelPath = join(root, 'model.onnx');
    await writeFile(modelPath, model());
    reference = await ort.InferenceSession.create(modelPath);
    const poolOptions = {
      modelPath,
      instances: 1,
      executionProvider: 'cpu' as const,
      session: BUILTIN_MODEL_DEFAULTS.session,
      injectDelayMs: 0,
    };
    const pool = await WorkerPool.start(poolOptions);
    const placed = await placeRunner({
      pool,
      poolOptions,
      signature,
      maxBatchSize: MAX_ROWS,
      budgetMs: BUDGET_MS,
    });
    reason = placed.placement.reason;
    expect(placed.placement.place).toBe('split');
    expect(placed.workers).toBe(pool);
    runner = placed.runner as SplitRunner;
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    await reference?.release();
    await rm(root, { recursive: true, force: true });
  });

  async function expectAnswer(rows: number, seed: number, out: Tensor): Promise<void> {
    const want = await reference.run({ input: new ort.Tensor('float32', rowsOf(rows, seed), [rows, IN]) });
    expect(out.shape).toEqual([rows, OUT]);
    const got = f32(out);
    const exp = want.output!.data as Float32Array;
    for (let i = 0; i < exp.length; i++) expect(got[i]).toBeCloseTo(exp[i]!, 4);
  }

  it('names the largest batch that fits inline and the one that did not', () => {
    expect(reason).toMatch(
      /^up to (\d+) row\(s\) inline \(\1-row run \d+\.\d{3} ms <= 5 ms budget\), larger batches on the worker \(4096-row run \d+\.\d{3} ms > 5 ms budget\); a second session of 8\.\d MiB$/,
    );
    expect(runner.inlineRows).toBeGreaterThanOrEqual(1);
    expect(runner.inlineRows).toBeLessThan(MAX_ROWS);
  });

  it('runs a small batch on the main thread and a large one on the worker, with the same answers', async () => {
    const worker0 = runner.workers.busyTime();
    const small = await runner.run(input(1, 1));
    await expectAnswer(1, 1, small.outputs[0]!);
    expect(runner.workers.busyTime()).toBe(worker0);
    const total0 = runner.busyTime();
    const large = await runner.run(input(MAX_ROWS, 2));
    await expectAnswer(MAX_ROWS, 2, large.outputs[0]!);
    const workerMs = runner.workers.busyTime() - worker0;
    expect(workerMs).toBeGreaterThan(0);
    // Only the worker was busy for the large batch: the whole busy time grew by its share alone.
    expect(runner.busyTime() - total0).toBeCloseTo(workerMs, 6);
  });

  it('sends a small batch to the worker while the worker has a run in hand', async () => {
    const worker0 = runner.workers.busyTime();
    const total0 = runner.busyTime();
    const large = runner.run(input(MAX_ROWS, 3));
    const small = runner.run(input(1, 4));
    const [l, s] = await Promise.all([large, small]);
    await expectAnswer(MAX_ROWS, 3, l.outputs[0]!);
    await expectAnswer(1, 4, s.outputs[0]!);
    expect(runner.busyTime() - total0).toBeCloseTo(runner.workers.busyTime() - worker0, 6);
  });
});
