// The cache's mapped form: written with a verified model.onnx, used only while its stamp matches,
// written once for an entry from before it existed, and never for a file that is not trusted.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../kernel/artifacts/index.js';
import { GraphBuilder, heWeights, seededRandom } from '../models/onnx-builder.js';
import { ArtifactCache } from './artifact-cache.js';

function model(): Uint8Array {
  const g = new GraphBuilder('cache_mapped');
  const w = g.weight('w', [64, 64], heWeights(seededRandom(3), 64 * 64, 64));
  g.op('MatMul', [g.input('input', [1, 64]), w], {}, 'output');
  g.output('output', [1, 64]);
  return g.encode('cache test');
}

describe('artifact cache: mapped weights', () => {
  let dir: string;
  const plain = model();
  const digest = sha256Digest(plain);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-cache-mapped-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is written with a verified file and refused once its weights file is replaced', async () => {
    const cache = new ArtifactCache(dir);
    const vdir = await cache.store('m', '1', plain, '', digest);
    expect(await cache.mapped('m', '1', digest)).toBe(join(vdir, 'model.mapped.onnx'));
    expect(await cache.mapped('m', '1', 'sha256:other')).toBeUndefined();
    await writeFile(join(vdir, 'model.weights'), new Uint8Array(16));
    expect(await cache.mapped('m', '1', digest)).toBeUndefined();
    // Written again from the trusted model.onnx, it is used again.
    expect(await cache.writeMapped('m', '1', digest)).toBe(join(vdir, 'model.mapped.onnx'));
    expect(await cache.mapped('m', '1', digest)).toBe(join(vdir, 'model.mapped.onnx'));
  });

  it('is never written from a model.onnx that is not the verified one', async () => {
    const cache = new ArtifactCache(dir);
    const vdir = await cache.store('m', '2', plain, '', digest);
    await writeFile(join(vdir, 'model.onnx'), plain); // same bytes, but not the stamped file
    expect(await cache.trusted('m', '2', digest)).toBe(false);
    expect(await cache.mapped('m', '2', digest)).toBeUndefined();
    expect(await cache.writeMapped('m', '2', digest)).toBeUndefined();
  });
});
