// Splits an ONNX model's large initializers out into one weights file, so ONNX Runtime maps them
// from the file (mmap) instead of copying them out of the protobuf: a session over a ~96 MiB
// model is then created in milliseconds, not seconds (docs/DATAPLANE.md, "Cold loads").
//
// Pure: bytes in, bytes out. It rewrites the protobuf wire format directly (ModelProto.graph ->
// GraphProto.initializer -> TensorProto.raw_data) and copies every other byte as it is, so
// fields a schema library might not know (newer ONNX versions) survive untouched. Each moved
// tensor gets ONNX's external-data entries (location, offset, length) and data_location
// EXTERNAL; offsets are aligned to 64 KiB, which ONNX Runtime needs to map rather than read.

/** Tensors smaller than this stay inline: mapping a few bytes gains nothing. */
export const MIN_MAPPED_BYTES = 4096;
/** ONNX Runtime maps external data only at offsets aligned to the allocation granularity. */
export const MAPPED_ALIGNMENT = 65536;

export interface MappedSplit {
  /** The model with external-data references instead of the large raw_data fields. */
  readonly graph: Uint8Array;
  /** The moved bytes and where each goes in the weights file. */
  readonly chunks: readonly { readonly offset: number; readonly bytes: Uint8Array }[];
  /** The weights file's length. */
  readonly weightsBytes: number;
}

/** The wire type and field numbers the split reads (mapped-weights-plan.ts follows the same). */
export const SPLIT_FIELDS = {
  LEN: 2,
  MODEL_GRAPH: 7,
  GRAPH_INITIALIZER: 5,
  TENSOR_RAW_DATA: 9,
  TENSOR_EXTERNAL_DATA: 13,
  TENSOR_DATA_LOCATION: 14,
} as const;
const { LEN, MODEL_GRAPH, GRAPH_INITIALIZER, TENSOR_RAW_DATA, TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION } =
  SPLIT_FIELDS;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const DATA_LOCATION_EXTERNAL = 1;

interface Field {
  readonly no: number;
  readonly wire: number;
  /** The whole field, tag included. */
  readonly start: number;
  readonly end: number;
  /** A LEN field's payload. */
  readonly body?: Uint8Array;
}

class Malformed extends Error {}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = pos; i < b.length && i < pos + 10; i++) {
    const x = b[i]!;
    v += (x & 0x7f) * mul;
    if (x < 0x80) return [v, i + 1];
    mul *= 128;
  }
  throw new Malformed('varint');
}

function* fields(b: Uint8Array): Generator<Field> {
  let pos = 0;
  while (pos < b.length) {
    const start = pos;
    const [tag, p1] = readVarint(b, pos);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    pos = p1;
    if (wire === 0) pos = readVarint(b, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === LEN) {
      const [len, p2] = readVarint(b, pos);
      if (p2 + len > b.length) throw new Malformed('length');
      yield { no, wire, start, end: p2 + len, body: b.subarray(p2, p2 + len) };
      pos = p2 + len;
      continue;
    } else throw new Malformed(`wire type ${wire}`);
    if (pos > b.length) throw new Malformed('truncated');
    yield { no, wire, start, end: pos };
  }
}

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function lenField(no: number, body: Uint8Array): Uint8Array[] {
  return [Uint8Array.from([...varint(no * 8 + LEN), ...varint(body.length)]), body];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

function entry(key: string, value: string): Uint8Array[] {
  return lenField(
    TENSOR_EXTERNAL_DATA,
    concat([...lenField(ENTRY_KEY, utf8(key)), ...lenField(ENTRY_VALUE, utf8(value))]),
  );
}

/**
 * The model with its large raw_data initializers moved to `weightsFile` (a name relative to the
 * model file, as ONNX requires), or undefined when nothing is worth moving or the bytes are not
 * a ModelProto this can rewrite (then the caller keeps the model as it is).
 */
export function splitWeights(model: Uint8Array, weightsFile: string): MappedSplit | undefined {
  try {
    return split(model, weightsFile);
  } catch (err) {
    if (err instanceof Malformed) return undefined;
    throw err;
  }
}

function split(model: Uint8Array, weightsFile: string): MappedSplit | undefined {
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let next = 0;
  const rewriteTensor = (tensor: Uint8Array): Uint8Array => {
    let raw: Field | undefined;
    for (const f of fields(tensor)) {
      // Already external, or data kept elsewhere: leave it.
      if (f.no === TENSOR_DATA_LOCATION || f.no === TENSOR_EXTERNAL_DATA) return tensor;
      if (f.no === TENSOR_RAW_DATA && f.wire === LEN) raw = f;
    }
    if (!raw?.body || raw.body.length < MIN_MAPPED_BYTES) return tensor;
    const offset = Math.ceil(next / MAPPED_ALIGNMENT) * MAPPED_ALIGNMENT;
    chunks.push({ offset, bytes: raw.body });
    next = offset + raw.body.length;
    return concat([
      tensor.subarray(0, raw.start),
      tensor.subarray(raw.end),
      ...entry('location', weightsFile),
      ...entry('offset', String(offset)),
      ...entry('length', String(raw.body.length)),
      Uint8Array.from([...varint(TENSOR_DATA_LOCATION * 8), DATA_LOCATION_EXTERNAL]),
    ]);
  };
  const rewriteGraph = (graph: Uint8Array): Uint8Array => {
    const parts: Uint8Array[] = [];
    for (const f of fields(graph)) {
      if (f.no === GRAPH_INITIALIZER && f.wire === LEN) parts.push(...lenField(f.no, rewriteTensor(f.body!)));
      else parts.push(graph.subarray(f.start, f.end));
    }
    return concat(parts);
  };
  const parts: Uint8Array[] = [];
  let graphs = 0;
  for (const f of fields(model)) {
    if (f.no === MODEL_GRAPH && f.wire === LEN) {
      graphs++;
      parts.push(...lenField(f.no, rewriteGraph(f.body!)));
    } else parts.push(model.subarray(f.start, f.end));
  }
  if (graphs !== 1 || chunks.length === 0) return undefined;
  return { graph: concat(parts), chunks, weightsBytes: next };
}
