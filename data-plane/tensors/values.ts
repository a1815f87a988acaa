// Between raw tensor bytes and lists of element values (JSON `data`, protobuf typed contents).
// Pure.
import type { Issue } from '../errors.js';
import { type Datatype, elementSize, isFixedSize, typedView } from './datatypes.js';

export type ElementValue = number | bigint | boolean;

/** Raw bytes from element values; an issue (path `path`) when a value does not fit the type. */
export function bytesFromValues(
  datatype: Datatype,
  values: ArrayLike<unknown>,
  path: string,
): { bytes: Uint8Array } | { issue: Issue } {
  if (!isFixedSize(datatype)) return { issue: { path, message: `${datatype} tensors are not served` } };
  const bytes = new Uint8Array(values.length * elementSize(datatype));
  const view = typedView(datatype, bytes);
  const bigint = datatype === 'INT64' || datatype === 'UINT64';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (datatype === 'BOOL') {
      if (typeof v !== 'boolean' && v !== 0 && v !== 1)
        return { issue: { path: `${path}[${i}]`, message: 'BOOL data must be true/false' } };
      view[i] = v ? 1 : 0;
      continue;
    }
    if (datatype === 'FP16') return { issue: { path, message: 'FP16 data must be sent as raw bytes' } };
    if (typeof v === 'bigint') {
      if (bigint) view[i] = v;
      else view[i] = Number(v);
      continue;
    }
    if (typeof v !== 'number')
      return { issue: { path: `${path}[${i}]`, message: `${datatype} data must be numbers` } };
    const float = datatype === 'FP32' || datatype === 'FP64';
    if (!float && !Number.isInteger(v))
      return { issue: { path: `${path}[${i}]`, message: `${datatype} data must be integers` } };
    if (bigint) view[i] = BigInt(v);
    else view[i] = v;
  }
  return { bytes };
}

/** Element values of raw bytes: numbers, except bigint for 64-bit integers and boolean for BOOL. */
export function valuesFromBytes(datatype: Datatype, bytes: Uint8Array): ElementValue[] {
  if (datatype === 'BOOL') return Array.from(bytes, (b) => b !== 0);
  const view = typedView(datatype, bytes);
  return Array.from(view as ArrayLike<number | bigint>);
}

/** Flattens nested JSON arrays (row-major), as the REST protocol allows either form. */
export function flatten(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else out.push(v);
  };
  walk(data);
  return out;
}
