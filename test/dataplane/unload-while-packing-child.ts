// Child of unload-while-packing.test.ts: loads the ~50 MB MLP from its mapped weights (READY
// unpacked, packed in the background), unloads it after each delay in turn, so some unloads land
// while ONNX Runtime creates the packed session in a worker. A worker ended then aborted the
// whole process ("terminate called after throwing an instance of 'Napi::Error'"); it prints
// "alive" only if it lived through every one.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_MODEL_DEFAULTS } from '../../data-plane/repository/config.js';
import { ModelManager } from '../../data-plane/serving/model-manager.js';
import { splitWeights } from '../../kernel/artifacts/mapped-weights.js';
import { memoryLogger } from '../../kernel/log/index.js';

const delays = (process.argv[2] ?? '10').split(',').map(Number);
const dir = await mkdtemp(join(tmpdir(), 'sy-repro-'));
const plain = new Uint8Array(await readFile('test/fixtures/models/generated/repo/mlp/1/model.onnx'));
const split = splitWeights(plain, 'model.weights')!;
const weights = new Uint8Array(split.weightsBytes);
for (const c of split.chunks) weights.set(c.bytes, c.offset);
await writeFile(join(dir, 'model.onnx'), plain);
await writeFile(join(dir, 'model.weights'), weights);
await writeFile(join(dir, 'model.mapped.onnx'), split.graph);
const log = memoryLogger();
const models = new ModelManager({
  defaults: BUILTIN_MODEL_DEFAULTS,
  disableBatching: false,
  injectDelayMs: 0,
  inlineBudgetMs: 1,
  observer: { queued() {}, batch() {}, finished() {} },
  log,
});
let i = 0;
for (const d of delays) {
  const v = String(++i);
  await models.load('m', v, dir, 'fp', { mapped: join(dir, 'model.mapped.onnx') });
  await new Promise((r) => setTimeout(r, d));
  await models.unload('m', v);
  console.log('unloaded after', d);
}
await new Promise((r) => setTimeout(r, 1500));
console.log('alive');
process.exit(0);
