// Two small models only the dataplane benchmark uses, where a pod's per-request cost shows most:
// a 37 -> 3 scorer (microseconds of compute per row) and a 1024-wide MLP (a few hundred
// microseconds per row). Written into the benchmark's own temporary repository.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GraphBuilder, heWeights, seededRandom } from '../../data-plane/models/onnx-builder.js';

/** [N,37] -> Gemm -> softmax [N,3]: a tabular scorer. */
function scorer(): Uint8Array {
  const rand = seededRandom(37);
  const g = new GraphBuilder('bench_scorer');
  const x = g.input('features', ['batch', 37]);
  const w = g.weight('w', [37, 3], heWeights(rand, 37 * 3, 37));
  const b = g.weight('b', [3], heWeights(rand, 3, 37 * 16));
  g.op('Softmax', [g.op('Gemm', [x, w, b])], { axis: 1 }, 'scores');
  g.output('scores', ['batch', 3]);
  return g.encode('Benchmark scorer: 37 -> 3, softmax.');
}

/** [N,1024] -> 1024 -> 1024 -> softmax [N,10] (2.1 M weights, 8 MB). */
function wideMlp(): Uint8Array {
  const rand = seededRandom(1024);
  const g = new GraphBuilder('bench_mlp_1k');
  let x = g.input('input', ['batch', 1024]);
  const layers = [1024, 1024, 1024, 10];
  for (let i = 0; i + 1 < layers.length; i++) {
    const w = g.weight(
      `w${i}`,
      [layers[i]!, layers[i + 1]!],
      heWeights(rand, layers[i]! * layers[i + 1]!, layers[i]!),
    );
    const b = g.weight(`b${i}`, [layers[i + 1]!], heWeights(rand, layers[i + 1]!, layers[i]! * 16));
    x = g.op('Gemm', [x, w, b]);
    if (i + 2 < layers.length) x = g.op('Relu', [x]);
  }
  g.op('Softmax', [x], { axis: 1 }, 'probabilities');
  g.output('probabilities', ['batch', 10]);
  return g.encode('Benchmark MLP: 1024 -> 1024 -> 1024 -> 10, softmax.');
}

export const BENCH_ONLY_MODELS = {
  scorer: { onnx: scorer, maxBatch: 64 },
  'mlp-1k': { onnx: wideMlp, maxBatch: 64 },
} as const;

/** Writes `<repo>/<name>/1/{model.onnx,config.yaml}` for one of BENCH_ONLY_MODELS. */
export async function writeBenchModel(repo: string, name: keyof typeof BENCH_ONLY_MODELS): Promise<void> {
  const m = BENCH_ONLY_MODELS[name];
  const dir = join(repo, name, '1');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), m.onnx());
  await writeFile(join(dir, 'config.yaml'), `max_batch_size: ${m.maxBatch}\nqueue_limit: 512\n`);
}
