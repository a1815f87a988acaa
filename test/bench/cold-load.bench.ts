// `npx tsx test/bench/run.ts cold-load`: where a managed pod's cold load from its cache spends its
// time, for the ~96 MiB model of managed-pod.bench.ts. Each way of creating the ONNX Runtime
// session is measured in this process, in turns (one of each per round, so a load spike on the
// shared machine hits every way alike), median and p99 over ROUNDS:
//   path/all        create(path), graph optimization all: what the pod does today
//   path/basic      the same with graph optimization basic, and with none (disabled)
//   +write ort      path/all writing the ORT-format file as it goes (a first load does)
//   buffer/all      readFile then create(bytes): the file read on the JS side
//   no-prepack      disable_prepacking: MLAS does not repack the MatMul weights at load
//   ort/zero-copy   a pre-optimized ORT-format file (written once through optimizedModelFilePath),
//                   loaded from bytes with optimization off, initializers used in place
//                   (session.use_ort_model_bytes_directly + use_ort_model_bytes_for_initializers)
//   mapped          the model with its weights split into a file of their own (what a managed
//                   pod's cache keeps, kernel/artifacts/mapped-weights.ts), created from its
//                   path: ONNX Runtime maps the weights instead of copying them; with prepacking
//                   on and off
// and the parts around it: sha256 of the file (the cache re-check), reading it, splitting it.
// Goal: cold load from the cache (digest + session create) p99 <= 250 ms.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { renderTable } from '../../control-plane/cli/table.js';
import { GraphBuilder, heWeights, seededRandom } from '../../data-plane/models/onnx-builder.js';
import { percentile } from '../../data-plane/stats/window.js';
import { splitWeights } from '../../kernel/artifacts/mapped-weights.js';

const ROUNDS = Number(process.env.BENCH_LOADS ?? 9);
const GOAL_MS = 250;
const log = (s: string) => process.stdout.write(`${s}\n`);

function bigModel(): Uint8Array {
  const rand = seededRandom(5);
  const g = new GraphBuilder('managed_bench_100mb');
  const x = g.input('input', [1, 1024]);
  const w = g.weight('w', [1024, 24_576], heWeights(rand, 1024 * 24_576, 1024));
  g.op('MatMul', [x, w], {}, 'output');
  g.output('output', [1, 24_576]);
  return g.encode('Switchyard cold-load benchmark model, about 100 MB of weights.');
}

type Opts = ort.InferenceSession.SessionOptions;
const base: Opts = { executionProviders: ['cpu'], intraOpNumThreads: 1 };

async function timed(fn: () => Promise<ort.InferenceSession | undefined>): Promise<number> {
  const t0 = performance.now();
  const s = await fn();
  const ms = performance.now() - t0;
  await s?.release();
  return ms;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sy-cold-load-'));
  try {
    const plain = bigModel();
    const onnx = join(dir, 'model.onnx');
    const ortFile = join(dir, 'model.ort');
    await writeFile(onnx, plain);
    log(`model: ${(plain.length / 2 ** 20).toFixed(1)} MiB; ${ROUNDS} rounds, one of each way per round`);
    // The pre-optimized ORT-format file, written once (what a pod would keep in its cache).
    const t0 = performance.now();
    const writer = await ort.InferenceSession.create(onnx, {
      ...base,
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: ortFile,
    });
    await writer.release();
    log(`ORT-format file written in ${(performance.now() - t0).toFixed(0)} ms`);
    const mapped = join(dir, 'model.mapped.onnx');
    const writeMapped = async () => {
      const split = splitWeights(plain, 'model.weights')!;
      const weights = new Uint8Array(split.weightsBytes);
      for (const c of split.chunks) weights.set(c.bytes, c.offset);
      await writeFile(join(dir, 'model.weights'), weights);
      await writeFile(mapped, split.graph);
    };
    await writeMapped();
    const ortBytesOnce = await readFile(ortFile);
    log(`ORT-format file: ${(ortBytesOnce.length / 2 ** 20).toFixed(1)} MiB`);

    const ways: Record<string, () => Promise<number>> = {
      'path/all': () =>
        timed(() => ort.InferenceSession.create(onnx, { ...base, graphOptimizationLevel: 'all' })),
      'path/basic': () =>
        timed(() => ort.InferenceSession.create(onnx, { ...base, graphOptimizationLevel: 'basic' })),
      'path/disabled': () =>
        timed(() => ort.InferenceSession.create(onnx, { ...base, graphOptimizationLevel: 'disabled' })),
      'path/all+write ort': () =>
        timed(() =>
          ort.InferenceSession.create(onnx, {
            ...base,
            graphOptimizationLevel: 'all',
            optimizedModelFilePath: join(dir, 'again.ort'),
            logSeverityLevel: 3,
          }),
        ),
      'buffer/all': () =>
        timed(async () =>
          ort.InferenceSession.create(await readFile(onnx), { ...base, graphOptimizationLevel: 'all' }),
        ),
      'no-prepack': () =>
        timed(() =>
          ort.InferenceSession.create(onnx, {
            ...base,
            graphOptimizationLevel: 'all',
            extra: { session: { disable_prepacking: '1' } },
          }),
        ),
      'ort/path': () =>
        timed(() => ort.InferenceSession.create(ortFile, { ...base, graphOptimizationLevel: 'disabled' })),
      'ort/zero-copy': () =>
        timed(async () =>
          ort.InferenceSession.create(await readFile(ortFile), {
            ...base,
            graphOptimizationLevel: 'disabled',
            extra: {
              session: { use_ort_model_bytes_directly: '1', use_ort_model_bytes_for_initializers: '1' },
            },
          }),
        ),
      'ort/zero-copy/no-prepack': () =>
        timed(async () =>
          ort.InferenceSession.create(await readFile(ortFile), {
            ...base,
            graphOptimizationLevel: 'disabled',
            extra: {
              session: {
                use_ort_model_bytes_directly: '1',
                use_ort_model_bytes_for_initializers: '1',
                disable_prepacking: '1',
              },
            },
          }),
        ),
      'mapped/all': () =>
        timed(() => ort.InferenceSession.create(mapped, { ...base, graphOptimizationLevel: 'all' })),
      'mapped/no-prepack': () =>
        timed(() =>
          ort.InferenceSession.create(mapped, {
            ...base,
            graphOptimizationLevel: 'all',
            extra: { session: { disable_prepacking: '1' } },
          }),
        ),
      'split + write mapped': () => timed(async () => void (await writeMapped()) as undefined),
      'read file': () => timed(async () => void (await readFile(onnx)) as undefined),
      sha256: () =>
        timed(async () => {
          createHash('sha256')
            .update(await readFile(onnx))
            .digest('hex');
          return undefined;
        }),
    };
    // BENCH_WAYS=a,b,...: only those (the ways above take seconds each on a busy machine).
    const only = process.env.BENCH_WAYS?.split(',');
    if (only) for (const k of Object.keys(ways)) if (!only.includes(k) && k !== 'path/all') delete ways[k];
    const ms = new Map<string, number[]>(Object.keys(ways).map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, fn] of Object.entries(ways)) ms.get(name)!.push(await fn());
      log(`round ${r + 1}/${ROUNDS} done`);
    }
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const p50Base = percentile(sorted(ms.get('path/all')!), 0.5);
    const rows = [...ms].map(([name, xs]) => {
      const p50 = percentile(sorted(xs), 0.5);
      return [name, p50.toFixed(0), percentile(sorted(xs), 0.99).toFixed(0), (p50 / p50Base).toFixed(2)];
    });
    log(renderTable(['way', 'p50 ms', 'p99 ms', 'vs path/all'], rows));
    const p99 = (k: string) => (ms.has(k) ? percentile(sorted(ms.get(k)!), 0.99).toFixed(0) : '-');
    log(
      `goal session create p99 <= ${GOAL_MS} ms: path/all ${p99('path/all')} ms, ORT format zero-copy ` +
        `${p99('ort/zero-copy')} ms, mapped ${p99('mapped/all')} ms, mapped without prepacking ${p99('mapped/no-prepack')} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
