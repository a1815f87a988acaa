// The weights plan against splitWeights: fed a model in pieces of any size, it hands out exactly
// the bytes the split moves, where the split puts them, before the model has fully arrived; and
// where its guess turns out wrong it says so instead of agreeing with the split.
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { splitWeights } from '../../kernel/artifacts/mapped-weights.js';
import { type PlannedWrite, WeightsPlan } from '../../kernel/artifacts/mapped-weights-plan.js';
import { GraphBuilder, heWeights, seededRandom } from '../models/onnx-builder.js';

const { onnx } = onnxProto;

function mlp(hidden = 128): Uint8Array {
  const rand = seededRandom(11);
  const g = new GraphBuilder('plan_test');
  const x = g.input('input', ['N', 64]);
  const w1 = g.weight('w', [64, hidden], heWeights(rand, 64 * hidden, 64));
  const b1 = g.weight('b', [hidden], heWeights(rand, hidden, 64)); // under 4 KiB: stays inline
  const h = g.op('Relu', [g.op('Add', [g.op('MatMul', [x, w1]), b1])]);
  const w2 = g.weight('w', [hidden, 10], heWeights(rand, hidden * 10, hidden));
  g.op('MatMul', [h, w2], {}, 'output');
  g.output('output', ['N', 10]);
  return g.encode('weights plan test model');
}

/** Feeds `model` to a plan in pieces of the given sizes (cycled), as a download fills its buffer. */
function feed(model: Uint8Array, sizes: number[]): { plan: WeightsPlan; writes: PlannedWrite[] } {
  const plan = new WeightsPlan(model.length);
  const arriving = new Uint8Array(model.length);
  const writes: PlannedWrite[] = [];
  let at = 0;
  for (let i = 0; at < model.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, model.length - at);
    arriving.set(model.subarray(at, at + n), at);
    at += n;
    writes.push(...plan.advance(arriving, at));
  }
  return { plan, writes };
}

/** The weights file the writes make. */
function weightsOf(model: Uint8Array, writes: PlannedWrite[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (const w of writes) out.set(model.subarray(w.from, w.from + w.length), w.offset);
  return out;
}

describe('weights plan', () => {
  it('hands out what the split moves, where it puts it, in pieces of any size', () => {
    const model = mlp();
    const split = splitWeights(model, 'model.weights')!;
    const want = new Uint8Array(split.weightsBytes);
    for (const c of split.chunks) want.set(c.bytes, c.offset);
    // Whole, in download-sized pieces, byte by byte, and in pieces that cut varints in two.
    for (const sizes of [[model.length], [512 * 1024], [1], [3, 7, 1, 4096, 2]]) {
      const { plan, writes } = feed(model, sizes);
      expect(plan.sameLayout(split, model)).toBe(true);
      expect(writes.reduce((n, w) => n + w.length, 0)).toBe(64 * 128 * 4 + 128 * 10 * 4);
      expect(Buffer.compare(weightsOf(model, writes, split.weightsBytes), want)).toBe(0);
    }
  });

  it('hands out a weight as its bytes arrive, before the model has ended', () => {
    const model = mlp();
    const first = splitWeights(model, 'model.weights')!.chunks[0]!;
    const from = first.bytes.byteOffset - model.byteOffset;
    const plan = new WeightsPlan(model.length);
    expect(plan.advance(model, from)).toEqual([]);
    expect(plan.advance(model, from + 1000)).toEqual([{ offset: first.offset, from, length: 1000 }]);
    expect(plan.advance(model, from + 1500)).toEqual([
      { offset: first.offset + 1000, from: from + 1000, length: 500 },
    ]);
  });

  it('does not agree with the split where a tensor it planned keeps its data inline', () => {
    const m = onnx.ModelProto.decode(mlp());
    // external_data is written after raw_data: splitWeights leaves such a tensor as it is.
    m.graph!.initializer![0]!.externalData = [onnx.StringStringEntryProto.create({ key: 'k', value: 'v' })];
    const model = onnx.ModelProto.encode(m).finish();
    const split = splitWeights(model, 'model.weights')!;
    expect(split.chunks.map((c) => c.bytes.length)).toEqual([128 * 10 * 4]);
    const { plan } = feed(model, [4096]);
    expect(plan.void).toBe(true);
    expect(plan.sameLayout(split, model)).toBe(false);
  });

  it('does not agree with the split of another model, nor before the model has ended', () => {
    const model = mlp();
    const { plan } = feed(model, [512 * 1024]);
    const other = mlp(256);
    expect(plan.sameLayout(splitWeights(other, 'model.weights')!, other)).toBe(false);
    const half = new WeightsPlan(model.length);
    half.advance(model, model.length - 10);
    expect(half.sameLayout(splitWeights(model, 'model.weights')!, model)).toBe(false);
  });
});
