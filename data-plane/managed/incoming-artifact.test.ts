// A download written to the cache as it arrives: model.onnx and the weights file are taken as
// written when they are complete and the weights plan agrees with the split of the verified
// model; otherwise the cache writes them itself, so the result is the same either way.
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../kernel/artifacts/index.js';
import { splitWeights } from '../../kernel/artifacts/mapped-weights.js';
import { GraphBuilder, heWeights, seededRandom } from '../models/onnx-builder.js';
import { ArtifactCache } from './artifact-cache.js';
import type { IncomingArtifact } from './incoming-artifact.js';

const { onnx } = onnxProto;

function model(): Uint8Array {
  const rand = seededRandom(5);
  const g = new GraphBuilder('incoming');
  const w1 = g.weight('w', [64, 64], heWeights(rand, 64 * 64, 64));
  const w2 = g.weight('w', [64, 64], heWeights(rand, 64 * 64, 64));
  g.op('MatMul', [g.op('MatMul', [g.input('input', [1, 64]), w1]), w2], {}, 'output');
  g.output('output', [1, 64]);
  return g.encode('incoming test');
}

/** Hands `plain` over in pieces as a download does, up to `upTo` bytes. */
function arrive(incoming: IncomingArtifact, plain: Uint8Array, upTo = plain.length): void {
  const buf = new Uint8Array(plain.length);
  for (let at = 0; at < upTo; ) {
    const n = Math.min(5000, upTo - at);
    buf.set(plain.subarray(at, at + n), at);
    at += n;
    incoming.received(buf, at);
  }
}

/** Overwrites one byte of a weights file with `value`, which no split would write there. */
async function mark(path: string, offset: number, value: number): Promise<void> {
  const fh = await open(path, 'r+');
  await fh.write(Uint8Array.of(value), 0, 1, offset);
  await fh.close();
}

describe('incoming artifact', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-incoming-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes model.onnx and the weights file while the bytes arrive, and store keeps both', async () => {
    const plain = model();
    const digest = sha256Digest(plain);
    const cache = new ArtifactCache(dir);
    const incoming = await cache.incoming('m', '1', plain.length);
    arrive(incoming, plain);
    const split = splitWeights(plain, 'model.weights')!;
    expect(split.chunks).toHaveLength(2);
    // Marked after the download wrote it: a weights file written again by store would lose it.
    await incoming.finish();
    const marked = split.chunks[0]!.bytes[0]! ^ 0xff;
    await mark(incoming.weightsPath, split.chunks[0]!.offset, marked);
    const vdir = await cache.store('m', '1', plain, '', digest, incoming);
    expect(Buffer.compare(await readFile(join(vdir, 'model.onnx')), plain)).toBe(0);
    const weights = await readFile(join(vdir, 'model.weights'));
    expect(weights.length).toBe(split.weightsBytes);
    expect(weights[split.chunks[0]!.offset]).toBe(marked);
    const second = split.chunks[1]!;
    expect(
      Buffer.compare(weights.subarray(second.offset, second.offset + second.bytes.length), second.bytes),
    ).toBe(0);
    expect(await cache.mapped('m', '1', digest)).toBe(join(vdir, 'model.mapped.onnx'));
  });

  it('writes the weights file again when the plan guessed wrong', async () => {
    const m = onnx.ModelProto.decode(model());
    // external_data after raw_data: the split keeps this tensor inline, the plan had moved it.
    m.graph!.initializer![0]!.externalData = [onnx.StringStringEntryProto.create({ key: 'k', value: 'v' })];
    const plain = onnx.ModelProto.encode(m).finish();
    const digest = sha256Digest(plain);
    const cache = new ArtifactCache(dir);
    const incoming = await cache.incoming('m', '2', plain.length);
    arrive(incoming, plain);
    await incoming.finish();
    const split = splitWeights(plain, 'model.weights')!;
    await mark(incoming.weightsPath, 0, split.chunks[0]!.bytes[0]! ^ 0xff);
    const vdir = await cache.store('m', '2', plain, '', digest, incoming);
    expect(split.chunks).toHaveLength(1);
    const only = split.chunks[0]!;
    const weights = await readFile(join(vdir, 'model.weights'));
    expect(weights.length).toBe(split.weightsBytes);
    expect(Buffer.compare(weights.subarray(only.offset, only.offset + only.bytes.length), only.bytes)).toBe(
      0,
    );
  });

  it('writes model.onnx itself when the download handed over only part of it', async () => {
    const plain = model();
    const digest = sha256Digest(plain);
    const cache = new ArtifactCache(dir);
    const incoming = await cache.incoming('m', '3', plain.length);
    arrive(incoming, plain, 20_000);
    expect(incoming.complete).toBe(false);
    const vdir = await cache.store('m', '3', plain, '', digest, incoming);
    expect(Buffer.compare(await readFile(join(vdir, 'model.onnx')), plain)).toBe(0);
    const split = splitWeights(plain, 'model.weights')!;
    const weights = await readFile(join(vdir, 'model.weights'));
    for (const c of split.chunks)
      expect(Buffer.compare(weights.subarray(c.offset, c.offset + c.bytes.length), c.bytes)).toBe(0);
  });

  it('removes both files when the download is discarded', async () => {
    const plain = model();
    const cache = new ArtifactCache(dir);
    const incoming = await cache.incoming('m', '4', plain.length);
    arrive(incoming, plain, 30_000);
    await incoming.discard();
    await expect(readFile(incoming.modelPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(incoming.weightsPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
