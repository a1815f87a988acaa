// The mapped-weights split against real ONNX Runtime sessions: the split model answers exactly as
// the original, the weights lie where the entries say, and fields it does not rewrite survive.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAPPED_ALIGNMENT, splitWeights } from '../../kernel/artifacts/mapped-weights.js';
import { GraphBuilder, heWeights, seededRandom } from '../models/onnx-builder.js';

const { onnx } = onnxProto;

function mlp(): Uint8Array {
  const rand = seededRandom(7);
  const g = new GraphBuilder('mapped_test');
  const x = g.input('input', ['N', 64]);
  const w1 = g.weight('w', [64, 128], heWeights(rand, 64 * 128, 64));
  const b1 = g.weight('b', [128], heWeights(rand, 128, 64)); // 512 bytes: stays inline
  const h = g.op('Relu', [g.op('Add', [g.op('MatMul', [x, w1]), b1])]);
  const w2 = g.weight('w', [128, 10], heWeights(rand, 128 * 10, 128));
  g.op('MatMul', [h, w2], {}, 'output');
  g.output('output', ['N', 10]);
  return g.encode('mapped-weights test model');
}

async function run(path: string, x: ort.Tensor): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
  try {
    return (await s.run({ input: x })).output!.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('mapped weights', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-mapped-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('moves the large initializers out and the session answers exactly as from the original', async () => {
    const plain = mlp();
    const split = splitWeights(plain, 'model.weights');
    expect(split).toBeDefined();
    // w (32 KiB) and the second w (5 KiB) move; the 512-byte bias stays.
    expect(split!.chunks.map((c) => c.bytes.length)).toEqual([64 * 128 * 4, 128 * 10 * 4]);
    for (const c of split!.chunks) expect(c.offset % MAPPED_ALIGNMENT).toBe(0);
    expect(split!.graph.length).toBeLessThan(2048);

    const decoded = onnx.ModelProto.decode(split!.graph);
    const moved = decoded.graph!.initializer!.filter((t) => t.dataLocation === 1);
    expect(moved.map((t) => Object.fromEntries(t.externalData!.map((e) => [e.key, e.value])))).toEqual(
      split!.chunks.map((c) => ({
        location: 'model.weights',
        offset: String(c.offset),
        length: String(c.bytes.length),
      })),
    );

    await writeFile(join(dir, 'model.onnx'), plain);
    const weights = new Uint8Array(split!.weightsBytes);
    for (const c of split!.chunks) weights.set(c.bytes, c.offset);
    await writeFile(join(dir, 'model.weights'), weights);
    await writeFile(join(dir, 'model.mapped.onnx'), split!.graph);
    const rows = 3;
    const x = new ort.Tensor(
      'float32',
      Float32Array.from({ length: rows * 64 }, (_, i) => Math.sin(i)),
      [rows, 64],
    );
    const want = await run(join(dir, 'model.onnx'), x);
    const got = await run(join(dir, 'model.mapped.onnx'), x);
    expect(Array.from(got)).toEqual(Array.from(want));
    // And the bytes on disk are the original weights, where the entries say.
    const original = onnx.ModelProto.decode(plain).graph!.initializer!;
    const onDisk = await readFile(join(dir, 'model.weights'));
    expect(Buffer.from(onDisk.subarray(split!.chunks[0]!.offset, split!.chunks[0]!.offset + 32768))).toEqual(
      Buffer.from(original[0]!.rawData!),
    );
  });

  it('copies fields it does not rewrite byte for byte, including ones no schema here knows', () => {
    const plain = mlp();
    // Field 99 (length-delimited) on the ModelProto: unknown to onnx-proto and to this module.
    const unknown = Uint8Array.from([0x9a, 0x06, 3, 0x61, 0x62, 0x63]);
    const withUnknown = new Uint8Array([...plain, ...unknown]);
    const split = splitWeights(withUnknown, 'model.weights')!;
    expect(Buffer.from(split.graph.subarray(split.graph.length - unknown.length))).toEqual(
      Buffer.from(unknown),
    );
    const a = onnx.ModelProto.decode(plain);
    const b = onnx.ModelProto.decode(split.graph);
    expect(b.irVersion).toEqual(a.irVersion);
    expect(b.docString).toBe(a.docString);
    expect(b.graph!.node).toEqual(a.graph!.node);
    expect(b.graph!.input).toEqual(a.graph!.input);
    expect(b.graph!.output).toEqual(a.graph!.output);
  });

  it('leaves a model with nothing worth mapping, and bytes that are no model, alone', () => {
    const g = new GraphBuilder('small');
    g.op('Add', [g.input('input', [2]), g.weight('b', [2], Float32Array.of(1, 2))], {}, 'output');
    g.output('output', [2]);
    expect(splitWeights(g.encode('small'), 'model.weights')).toBeUndefined();
    expect(splitWeights(Uint8Array.from([0xff, 0xff, 0xff]), 'model.weights')).toBeUndefined();
    expect(splitWeights(new TextEncoder().encode('not a model at all'), 'model.weights')).toBeUndefined();
  });
});
