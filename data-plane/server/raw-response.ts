// ModelInferResponse with raw_output_contents, encoded by hand into one exactly sized buffer
// (pure). The generic path builds the message with create() and lets protobuf-es's reflective
// toBinary walk it, which cost about as much per request as the rest of the pod's own handler
// (docs/DATAPLANE.md, "Against the lean server"). Fields are written in field-number order, as
// protobuf-es writes them, so the bytes are the same (checked in raw-response.test.ts).

import { varintLength, writeVarint } from '../../kernel/wire/varint.js';
import type { InferResponse } from '../tensors/tensor.js';

// (field number << 3) | wire type 2 (length-delimited)
const MODEL_NAME = 0x0a;
const MODEL_VERSION = 0x12;
const ID = 0x1a;
const OUTPUTS = 0x2a;
const RAW_OUTPUT_CONTENTS = 0x32;
const TENSOR_NAME = 0x0a;
const TENSOR_DATATYPE = 0x12;
const TENSOR_SHAPE = 0x1a; // packed int64

function stringSize(s: string): number {
  if (s.length === 0) return 0;
  const n = Buffer.byteLength(s, 'utf8');
  return 1 + varintLength(n) + n;
}

function shapeSize(shape: readonly number[]): number {
  let n = 0;
  for (const d of shape) n += varintLength(d);
  return n;
}

class Writer {
  at = 0;
  constructor(readonly buf: Buffer) {}
  varint(n: number): void {
    this.at = writeVarint(this.buf, this.at, n);
  }
  string(tag: number, s: string): void {
    if (s.length === 0) return;
    this.buf[this.at++] = tag;
    this.varint(Buffer.byteLength(s, 'utf8'));
    this.at += this.buf.write(s, this.at, 'utf8');
  }
}

/** Dimensions must be non-negative integers (a served tensor's are). */
export function encodeRawInferResponse(res: InferResponse): Buffer {
  const id = res.id ?? '';
  let total = stringSize(res.model) + stringSize(res.version) + stringSize(id);
  const tensorSizes: number[] = [];
  for (const t of res.outputs) {
    const shape = shapeSize(t.shape);
    const size =
      stringSize(t.name) + stringSize(t.datatype) + (t.shape.length ? 1 + varintLength(shape) + shape : 0);
    tensorSizes.push(size);
    total += 1 + varintLength(size) + size;
    total += 1 + varintLength(t.data.byteLength) + t.data.byteLength;
  }
  const w = new Writer(Buffer.allocUnsafe(total));
  w.string(MODEL_NAME, res.model);
  w.string(MODEL_VERSION, res.version);
  w.string(ID, id);
  res.outputs.forEach((t, i) => {
    w.buf[w.at++] = OUTPUTS;
    w.varint(tensorSizes[i]!);
    w.string(TENSOR_NAME, t.name);
    w.string(TENSOR_DATATYPE, t.datatype);
    if (t.shape.length) {
      w.buf[w.at++] = TENSOR_SHAPE;
      w.varint(shapeSize(t.shape));
      for (const d of t.shape) w.varint(d);
    }
  });
  for (const t of res.outputs) {
    w.buf[w.at++] = RAW_OUTPUT_CONTENTS;
    w.varint(t.data.byteLength);
    w.buf.set(t.data, w.at);
    w.at += t.data.byteLength;
  }
  return w.buf;
}
