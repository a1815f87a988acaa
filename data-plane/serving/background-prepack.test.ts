// Weights packed after READY, against real ONNX Runtime sessions in real worker threads: the rule
// (which versions defer packing), the swap between runs (no run lost or failed, answers as the
// original model's), a failed build (the unpacked sessions keep serving, one log line), and an
// unload while packing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitWeights } from '../../kernel/artifacts/mapped-weights.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { GraphBuilder, heWeights, seededRandom } from '../models/onnx-builder.js';
import { BUILTIN_MODEL_DEFAULTS, type ModelConfig } from '../repository/config.js';
import { WorkerPool } from '../runtime/worker-pool.js';
import type { Tensor } from '../tensors/tensor.js';
import { defersPrepack } from './background-prepack.js';
import { ModelManager } from './model-manager.js';

const IN = 256;
const OUT = 16;

function mlp(): Uint8Array {
  const rand = seededRandom(11);
  const g = new GraphBuilder('prepack_test');
  const x = g.input('input', ['N', IN]);
  const h = g.op('Relu', [g.op('MatMul', [x, g.weight('w', [IN, 1024], heWeights(rand, IN * 1024, IN))])]);
  g.op('MatMul', [h, g.weight('w', [1024, OUT], heWeights(rand, 1024 * OUT, 1024))], {}, 'output');
  g.output('output', ['N', OUT]);
  return g.encode('background prepack test model');
}

/** model.onnx and its mapped form (model.mapped.onnx + model.weights) in `dir`. */
async function writeModel(dir: string, plain: Uint8Array): Promise<string> {
  const split = splitWeights(plain, 'model.weights')!;
  const weights = new Uint8Array(split.weightsBytes);
  for (const c of split.chunks) weights.set(c.bytes, c.offset);
  await writeFile(join(dir, 'model.onnx'), plain);
  await writeFile(join(dir, 'model.weights'), weights);
  await writeFile(join(dir, 'model.mapped.onnx'), split.graph);
  return join(dir, 'model.mapped.onnx');
}

const rowsOf = (rows: number, seed: number) =>
  Float32Array.from({ length: rows * IN }, (_, i) => Math.sin(i * 0.37 + seed));

function input(rows: number, seed: number): Tensor[] {
  const data = rowsOf(rows, seed);
  return [{ name: 'input', datatype: 'FP32', shape: [rows, IN], data: new Uint8Array(data.buffer) }];
}

const f32 = (t: Tensor) => new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4);

describe('weights packed in the background', () => {
  let root: string;
  let plain: Uint8Array;
  let reference: ort.InferenceSession;
  const want = new Map<number, Float32Array>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sy-prepack-'));
    plain = mlp();
    await writeFile(join(root, 'reference.onnx'), plain);
    reference = await ort.InferenceSession.create(join(root, 'reference.onnx'));
    for (const seed of [0, 1, 2, 3]) {
      const x = new ort.Tensor('float32', rowsOf(3, seed), [3, IN]);
      want.set(seed, (await reference.run({ input: x })).output!.data as Float32Array);
    }
  });
  afterAll(async () => {
    await reference?.release();
    await rm(root, { recursive: true, force: true });
  });

  const expectAnswer = (got: Float32Array, seed: number) => {
    const w = want.get(seed)!;
    expect(got.length).toBe(w.length);
    // The kernel without packed weights sums in another order: within float rounding.
    for (let i = 0; i < w.length; i++) expect(Math.abs(got[i]! - w[i]!)).toBeLessThan(1e-4);
  };

  it('defers packing only when the config leaves it unset, on CPU, from a mapped or in-place form', () => {
    const config = (prepack: ModelConfig['session']['prepack'], ep: 'cpu' | 'cuda' = 'cpu'): ModelConfig => ({
      ...BUILTIN_MODEL_DEFAULTS,
      executionProvider: ep,
      session: { ...BUILTIN_MODEL_DEFAULTS.session, prepack },
    });
    expect(defersPrepack(config('background'), { mappedPath: 'm' })).toBe(true);
    expect(defersPrepack(config('background'), { optimizedPath: 'o' })).toBe(true);
    expect(defersPrepack(config('background'), {})).toBe(false);
    expect(defersPrepack(config('at-load'), { mappedPath: 'm' })).toBe(false);
    expect(defersPrepack(config('off'), { mappedPath: 'm' })).toBe(false);
    expect(defersPrepack(config('background', 'cuda'), { mappedPath: 'm' })).toBe(false);
  });

  it('swaps packed sessions in between runs, every instance: every run answered, none failed, none lost', async () => {
    const dir = await mkdtemp(join(root, 'swap-'));
    const mappedPath = await writeModel(dir, plain);
    const pool = await WorkerPool.start({
      modelPath: join(dir, 'model.onnx'),
      mappedPath,
      instances: 2,
      executionProvider: 'cpu',
      session: { ...BUILTIN_MODEL_DEFAULTS.session, prepack: 'off' },
      // Each run holds its worker for a while, so runs are in flight when the swap happens.
      injectDelayMs: 20,
    });
    try {
      expect(pool.loaded.fromMapped).toBe(true);
      let swapped = false;
      let before = 0;
      let after = 0;
      // One caller per slot, one run each at a time, as the batcher uses them.
      const caller = async (seed: number) => {
        while (!swapped || after < 4) {
          const r = await pool.run(input(3, seed));
          expectAnswer(f32(r.outputs[0]!), seed);
          if (swapped) after++;
          else before++;
        }
      };
      const callers = [0, 1, 2, 3].slice(0, pool.slots).map((seed) => caller(seed));
      const loaded = await pool.swapSessions({ ...BUILTIN_MODEL_DEFAULTS.session, prepack: 'at-load' });
      swapped = true;
      await Promise.all(callers);
      expect(loaded?.fromMapped).toBe(true);
      expect(pool.sessionConfig.prepack).toBe('at-load');
      expect(before).toBeGreaterThan(0);
      expect(after).toBeGreaterThanOrEqual(4);
    } finally {
      await pool.stop();
    }
  });

  const manager = (log = memoryLogger()) =>
    new ModelManager({
      defaults: BUILTIN_MODEL_DEFAULTS,
      disableBatching: false,
      injectDelayMs: 0,
      // On a worker: an inline session is created packing, with no background step.
      inlineBudgetMs: 0,
      observer: { queued() {}, batch() {}, finished() {} },
      log,
    });

  it('a version from mapped weights is READY unpacked, then packed, its memory figure kept current', async () => {
    const dir = await mkdtemp(join(root, 'ready-'));
    const mapped = await writeModel(dir, plain);
    const log = memoryLogger();
    const models = manager(log);
    try {
      await models.load('m', '1', dir, 'fp', { mapped });
      const v = models.get('m', '1')!;
      expect(v.state).toBe('ready');
      expect(v.prepack).toBe('pending');
      expect(log.lines.find((l) => l.includes('ready in'))).toContain('weights packed next');
      // Requests during the packing are served by the unpacked session.
      const during = await v.batcher!.submit(input(3, 2), 3, 'k', { deadline: Number.POSITIVE_INFINITY });
      expectAnswer(f32(during[0]!), 2);
      await models.get('m', '1')?.prepacked;
      expect(v.prepack).toBe('packed');
      expect(v.memoryBytes).toBeGreaterThanOrEqual(plain.length);
      expect(log.lines.filter((l) => l.includes('packed in the background'))).toHaveLength(1);
      const afterwards = await v.batcher!.submit(input(3, 3), 3, 'k', { deadline: Number.POSITIVE_INFINITY });
      expectAnswer(f32(afterwards[0]!), 3);
    } finally {
      await models.stopAll();
    }
  });

  it('packs at load, with no background step, when the config says prepack, or without a mapped form', async () => {
    const explicit = await mkdtemp(join(root, 'explicit-'));
    const mapped = await writeModel(explicit, plain);
    await writeFile(join(explicit, 'config.yaml'), 'session: { prepack: true }\n');
    const plainDir = await mkdtemp(join(root, 'plain-'));
    await writeFile(join(plainDir, 'model.onnx'), plain);
    const models = manager();
    try {
      await models.load('m', '1', explicit, 'fp', { mapped });
      await models.load('m', '2', plainDir, 'fp');
      for (const version of ['1', '2']) {
        const v = models.get('m', version)!;
        expect(v.state).toBe('ready');
        expect(v.prepack).toBeUndefined();
      }
    } finally {
      await models.stopAll();
    }
  });

  it('keeps the unpacked sessions when the packed ones cannot be built, and says so once', async () => {
    const dir = await mkdtemp(join(root, 'fail-'));
    const mapped = await writeModel(dir, plain);
    const log = memoryLogger();
    const models = manager(log);
    try {
      await models.load('m', '1', dir, 'fp', { mapped });
      // The files are gone before the packed session's worker opens them (it is still booting).
      await rm(dir, { recursive: true, force: true });
      await models.get('m', '1')?.prepacked;
      const v = models.get('m', '1')!;
      expect(v.prepack).toBe('failed');
      expect(v.state).toBe('ready');
      expect(
        log.lines.filter((l) => l.includes('packing its weights in the background failed')),
      ).toHaveLength(1);
      const out = await v.batcher!.submit(input(3, 1), 3, 'k', { deadline: Number.POSITIVE_INFINITY });
      expectAnswer(f32(out[0]!), 1);
    } finally {
      await models.stopAll();
    }
  });

  it('an unload while packing ends it quietly', async () => {
    const dir = await mkdtemp(join(root, 'unload-'));
    const mapped = await writeModel(dir, plain);
    const log = memoryLogger();
    const models = manager(log);
    await models.load('m', '1', dir, 'fp', { mapped });
    const v = models.get('m', '1')!;
    expect(v.prepack).toBe('pending');
    await models.unload('m', '1');
    await v.prepacked;
    expect(v.prepack).toBe('pending');
    expect(models.get('m', '1')).toBeUndefined();
    expect(log.lines.filter((l) => l.includes('background'))).toEqual([
      expect.stringContaining('weights packed next'),
    ]);
  });
});
