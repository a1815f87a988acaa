// The model repository of the GPU check, written where it runs: the generated models come from
// the catalog (seeded, so the same bytes as `make models` writes; the MLP's 50 MB would not fit
// the bundle), the pretrained classifier is copied in. Every config asks for CUDA.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatedModels, OCR_CLS_CONFIG } from '../../../data-plane/models/catalog.js';
import type { TimedModel } from './session-timing.js';

function askingForCuda(config: string): string {
  const rest = config.replace(/^execution_provider:.*\n/m, '');
  return `${rest}execution_provider: cuda\n`;
}

/** Writes `<out>/<model>/1/{model.onnx,config.yaml}`; returns the models to time, with digests. */
export async function writeCheckRepo(
  out: string,
  ocrFile: string,
): Promise<{ models: TimedModel[]; sha256: Record<string, string> }> {
  const sha256: Record<string, string> = {};
  for (const m of generatedModels()) {
    if (m.name === 'affine') continue;
    const dir = join(out, m.name, m.version);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.onnx'), m.onnx);
    await writeFile(join(dir, 'config.yaml'), askingForCuda(m.config));
    sha256[m.name] = createHash('sha256').update(m.onnx).digest('hex');
  }
  const ocrDir = join(out, 'ocr-cls', '1');
  await mkdir(ocrDir, { recursive: true });
  await copyFile(ocrFile, join(ocrDir, 'model.onnx'));
  await writeFile(join(ocrDir, 'config.yaml'), askingForCuda(OCR_CLS_CONFIG));
  const path = (name: string) => join(out, name, '1', 'model.onnx');
  return {
    sha256,
    models: [
      { name: 'mlp', path: path('mlp'), input: 'input', row: [1024], maxBatch: 64 },
      { name: 'convnet', path: path('convnet'), input: 'image', row: [1, 28, 28], maxBatch: 32 },
      { name: 'ocr-cls', path: path('ocr-cls'), input: 'x', row: [3, 48, 192], maxBatch: 16 },
    ],
  };
}
