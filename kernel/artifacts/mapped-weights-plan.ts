// Where splitWeights (mapped-weights.ts) will put each large initializer, found while the model's
// bytes are still arriving: a download can then write the weights file as the bytes come instead
// of splitting the whole model after the last byte. The plan walks the protobuf wire format of
// the prefix received so far (ModelProto.graph -> GraphProto.initializer -> TensorProto.raw_data),
// skipping every other field by its length, and hands out the byte ranges that became writable.
//
// It is a guess made before the whole model is seen: a tensor may turn out to keep its data
// inline (a data_location or external_data field after its raw_data), or the model may hold a
// second graph. So the plan is only used when it agrees with splitWeights over the whole model,
// chunk for chunk (sameLayout); otherwise the weights file is written again from the split.
import { SPLIT_FIELDS as F, MAPPED_ALIGNMENT, type MappedSplit, MIN_MAPPED_BYTES } from './mapped-weights.js';

/** A range of the model's bytes and where it goes in the weights file. */
export interface PlannedWrite {
  /** Offset in the weights file. */
  readonly offset: number;
  /** Offset in the model's bytes. */
  readonly from: number;
  readonly length: number;
}

interface Frame {
  readonly kind: 'model' | 'graph' | 'tensor';
  readonly end: number;
  /** A tensor with a data_location or external_data field: splitWeights leaves it inline. */
  inline?: boolean;
  /** A tensor whose raw_data was planned. */
  planned?: boolean;
}

/** A varint at `pos` when all its bytes are below `limit`: [value, next position]. */
function varintAt(b: Uint8Array, pos: number, limit: number): [number, number] | undefined {
  let v = 0;
  let mul = 1;
  for (let i = pos; i < limit && i < pos + 10; i++) {
    const x = b[i]!;
    v += (x & 0x7f) * mul;
    if (x < 0x80) return [v, i + 1];
    mul *= 128;
  }
  if (limit - pos >= 10) throw new PlanVoid('varint');
  return undefined;
}

class PlanVoid extends Error {}

export class WeightsPlan {
  private readonly stack: Frame[];
  private pos = 0;
  private next = 0;
  private graphs = 0;
  /** The planned chunks in model order, and how much of each was handed out. */
  private readonly chunks: PlannedWrite[] = [];
  private written = 0;
  private handedOut = 0;
  /** Set when the model is not what the plan can follow: nothing more is handed out. */
  void = false;

  constructor(private readonly size: number) {
    this.stack = [{ kind: 'model', end: size }];
  }

  /**
   * `bytes` holds the model's first `received` bytes (and is the buffer the rest will arrive
   * in): the parts of planned chunks that became available since the last call.
   */
  advance(bytes: Uint8Array, received: number): PlannedWrite[] {
    if (this.void) return [];
    try {
      this.parse(bytes, received);
    } catch (err) {
      if (!(err instanceof PlanVoid)) throw err;
      this.void = true;
      return [];
    }
    const out: PlannedWrite[] = [];
    while (this.written < this.chunks.length) {
      const c = this.chunks[this.written]!;
      const start = c.from + this.handedOut;
      const end = Math.min(c.from + c.length, received);
      if (end <= start) break;
      out.push({ offset: c.offset + this.handedOut, from: start, length: end - start });
      if (end < c.from + c.length) {
        this.handedOut = end - c.from;
        break;
      }
      this.written++;
      this.handedOut = 0;
    }
    return out;
  }

  /** Does `split` (splitWeights over the whole model) lay the weights out as this plan did? */
  sameLayout(split: MappedSplit, model: Uint8Array): boolean {
    if (this.void || this.pos !== this.size || this.graphs !== 1) return false;
    if (split.chunks.length !== this.chunks.length) return false;
    return split.chunks.every((c, i) => {
      const p = this.chunks[i]!;
      return (
        c.offset === p.offset &&
        c.bytes.length === p.length &&
        c.bytes.buffer === model.buffer &&
        c.bytes.byteOffset - model.byteOffset === p.from
      );
    });
  }

  private parse(b: Uint8Array, limit: number): void {
    for (;;) {
      const frame = this.stack.at(-1);
      if (!frame) return;
      if (this.pos >= frame.end) {
        if (this.pos > frame.end) throw new PlanVoid('length');
        this.stack.pop();
        continue;
      }
      if (this.pos >= limit) return;
      const tag = varintAt(b, this.pos, limit);
      if (!tag) return;
      const no = Math.floor(tag[0] / 8);
      const wire = tag[0] & 7;
      let at = tag[1];
      if (frame.kind === 'tensor' && (no === F.TENSOR_DATA_LOCATION || no === F.TENSOR_EXTERNAL_DATA)) {
        // splitWeights leaves such a tensor inline: a raw_data planned before it was a wrong guess.
        if (frame.planned) throw new PlanVoid('inline tensor');
        frame.inline = true;
      }
      if (wire === 0) {
        const v = varintAt(b, at, limit);
        if (!v) return;
        at = v[1];
      } else if (wire === 1) at += 8;
      else if (wire === 5) at += 4;
      else if (wire === F.LEN) {
        const len = varintAt(b, at, limit);
        if (!len) return;
        const body = len[1];
        const end = body + len[0];
        if (end > frame.end) throw new PlanVoid('length');
        this.pos = body;
        if (frame.kind === 'model' && no === F.MODEL_GRAPH) {
          if (++this.graphs > 1) throw new PlanVoid('two graphs');
          this.stack.push({ kind: 'graph', end });
          continue;
        }
        if (frame.kind === 'graph' && no === F.GRAPH_INITIALIZER) {
          this.stack.push({ kind: 'tensor', end });
          continue;
        }
        if (frame.kind === 'tensor' && no === F.TENSOR_RAW_DATA) {
          // splitWeights moves a tensor's last raw_data: one after a planned one voids the guess.
          if (frame.planned) throw new PlanVoid('two raw_data');
          if (!frame.inline && len[0] >= MIN_MAPPED_BYTES) {
            frame.planned = true;
            const offset = Math.ceil(this.next / MAPPED_ALIGNMENT) * MAPPED_ALIGNMENT;
            this.chunks.push({ offset, from: body, length: len[0] });
            this.next = offset + len[0];
          }
        }
        at = end;
      } else throw new PlanVoid(`wire type ${wire}`);
      if (at > frame.end) throw new PlanVoid('truncated');
      this.pos = at;
    }
  }
}
