// KServe v2 datatypes and their ONNX Runtime counterparts. Tensors move through the pod as raw
// little-endian bytes (what raw_input_contents carries), so batching and thread transfer work
// on bytes and never care about the element type; typed views are made only at the edges.
import { InternalError } from '../../kernel/errors/index.js';

export const KSERVE_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

export type Datatype = (typeof KSERVE_DATATYPES)[number];

/** ONNX Runtime's tensor type names (onnxruntime-common Tensor.Type). */
export type OrtType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'string';

const TO_ORT: Record<Datatype, OrtType> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

const FROM_ORT = Object.fromEntries(Object.entries(TO_ORT).map(([k, v]) => [v, k])) as Record<
  OrtType,
  Datatype
>;

const SIZE: Record<Datatype, number> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
  BYTES: 0,
};

export function isDatatype(s: string): s is Datatype {
  return (KSERVE_DATATYPES as readonly string[]).includes(s);
}

export function toOrtType(d: Datatype): OrtType {
  return TO_ORT[d];
}

/** undefined for types ONNX Runtime has but KServe does not (none today besides variants). */
export function fromOrtType(t: string): Datatype | undefined {
  return FROM_ORT[t as OrtType];
}

/** Bytes per element; 0 for BYTES, which has no fixed size. */
export function elementSize(d: Datatype): number {
  return SIZE[d];
}

/** Datatypes the pod can batch and move as raw bytes: everything but BYTES (strings). */
export function isFixedSize(d: Datatype): boolean {
  return SIZE[d] > 0;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/**
 * A typed view over raw bytes. Copies only when the bytes are not aligned for the element size
 * (protobuf bytes fields can start anywhere inside a message buffer).
 */
export function typedView(d: Datatype, bytes: Uint8Array): NumericArray {
  const size = SIZE[d];
  let b = bytes;
  if (size > 1 && b.byteOffset % size !== 0) b = copyBytes(b);
  const n = b.byteLength / (size || 1);
  switch (d) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(b.buffer, b.byteOffset, n);
    case 'INT8':
      return new Int8Array(b.buffer, b.byteOffset, n);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(b.buffer, b.byteOffset, n);
    case 'INT16':
      return new Int16Array(b.buffer, b.byteOffset, n);
    case 'UINT32':
      return new Uint32Array(b.buffer, b.byteOffset, n);
    case 'INT32':
      return new Int32Array(b.buffer, b.byteOffset, n);
    case 'UINT64':
      return new BigUint64Array(b.buffer, b.byteOffset, n);
    case 'INT64':
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    case 'FP32':
      return new Float32Array(b.buffer, b.byteOffset, n);
    case 'FP64':
      return new Float64Array(b.buffer, b.byteOffset, n);
    case 'BYTES':
      throw new InternalError('BYTES has no typed view');
  }
}

/**
 * A copy in a fresh ArrayBuffer of its own. Not `.slice()`: on a Buffer (what gRPC and HTTP
 * hand out, often a view into a shared pool) slice() returns a view, not a copy.
 */
export function copyBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** Raw bytes of a typed array, without copying. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
