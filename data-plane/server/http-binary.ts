// KServe's binary tensor data extension for HTTP/REST, with Triton's semantics. Pure.
//   request:  `Inference-Header-Content-Length: N`: the first N bytes of the body are the JSON
//             inference header; every input with `parameters.binary_data_size` takes that many
//             bytes, in the order the inputs are listed, from the rest of the body.
//   response: outputs asked for as binary (`binary_data: true` on a requested output, or
//             `binary_data_output: true` on the request, which an output's own flag overrides)
//             follow the JSON header in output order, each with `parameters.binary_data_size`.
// Rules and error messages: docs/DATAPLANE.md, "Binary tensor data".
import { InvalidInferenceError, type Issue, PayloadTooLargeError } from '../errors.js';
import { type Datatype, elementCount, elementSize } from '../tensors/datatypes.js';

/** The request and response header (Node lower-cases incoming header names). */
export const HEADER_LENGTH_HEADER = 'inference-header-content-length';
/** What the pod reports in its server metadata `extensions`, as Triton does. */
export const BINARY_EXTENSION = 'binary_tensor_data';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const headerIssue = (message: string) =>
  new InvalidInferenceError([{ path: 'Inference-Header-Content-Length', message }]);

/**
 * The header's byte count, or undefined when the request does not use the extension. Checked
 * before the body is read, so a malformed value costs nothing.
 */
export function parseHeaderLength(raw: string | string[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw headerIssue('is given more than once');
  const text = raw.trim();
  if (!/^\d+$/.test(text))
    throw headerIssue(
      `must be the JSON header's length in bytes (a decimal integer), got ${JSON.stringify(raw)}`,
    );
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw headerIssue(`${text} is not a byte count this pod can hold`);
  if (n === 0) throw headerIssue('must be at least 1: the JSON header comes first');
  return n;
}

/** Once the body is in: the header must fit inside it and within the JSON limit. */
export function checkHeaderLength(n: number, bodyBytes: number, jsonLimit: number): void {
  if (n > bodyBytes) throw headerIssue(`${n} is larger than the body (${bodyBytes} bytes)`);
  if (n > jsonLimit) throw new PayloadTooLargeError(jsonLimit, 'JSON inference header');
}

/** The bytes after the JSON header, taken input by input. Views, never copies. */
export class BinaryTail {
  private at = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.byteLength - this.at;
  }

  /** Undefined when fewer than n bytes are left (nothing is taken then). */
  take(n: number): Uint8Array | undefined {
    if (n > this.remaining) return undefined;
    const view = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return view;
  }

  /** Bytes no input claimed: a request is refused for them (leftover bytes are a client bug). */
  leftoverIssue(): Issue | undefined {
    if (this.remaining === 0) return undefined;
    return {
      path: 'Inference-Header-Content-Length',
      message: `${this.bytes.byteLength} bytes follow the JSON header but the inputs' binary_data_size take ${this.at}: ${this.remaining} bytes left over`,
    };
  }
}

/** `parameters.binary_data_size` of a request input: undefined when absent. */
export function binarySizeOf(t: Obj, at: string, issues: Issue[]): number | undefined {
  if (!isObj(t.parameters) || t.parameters.binary_data_size === undefined) return undefined;
  const v = t.parameters.binary_data_size;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    issues.push({
      path: `${at}.parameters.binary_data_size`,
      message: `must be a byte count (a non-negative integer), got ${JSON.stringify(v)}`,
    });
    return Number.NaN;
  }
  return v;
}

/**
 * The bytes of a binary input: takes `size` bytes from the tail, or pushes an issue (no tail:
 * the request has no Inference-Header-Content-Length, so nothing follows the JSON).
 */
export function takeBinary(
  tail: BinaryTail | undefined,
  size: number,
  name: string,
  at: string,
  issues: Issue[],
): Uint8Array | undefined {
  const path = `${at}.parameters.binary_data_size`;
  if (!tail) {
    issues.push({
      path,
      message: `${name} has ${size} bytes of binary data, but without an Inference-Header-Content-Length header the whole body is JSON`,
    });
    return undefined;
  }
  const bytes = tail.take(size);
  if (!bytes)
    issues.push({
      path,
      message: `${name} needs ${size} bytes of binary data, only ${tail.remaining} are left in the body: bytes missing`,
    });
  return bytes;
}

/**
 * An issue when the binary bytes do not hold a tensor of this shape and datatype: fixed-size
 * types need elements x size bytes; BYTES elements each carry a 4-byte little-endian length.
 */
export function binaryShapeIssue(
  bytes: Uint8Array,
  datatype: Datatype,
  shape: readonly number[],
  name: string,
  at: string,
): Issue | undefined {
  const path = `${at}.parameters.binary_data_size`;
  const count = elementCount(shape);
  const dims = `[${shape.join(', ')}]`;
  if (datatype !== 'BYTES') {
    const want = count * elementSize(datatype);
    if (bytes.byteLength === want) return undefined;
    return {
      path,
      message: `${name} of shape ${dims} ${datatype} needs ${want} bytes, binary_data_size is ${bytes.byteLength}`,
    };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let k = 0;
  while (pos < bytes.byteLength) {
    if (pos + 4 > bytes.byteLength)
      return { path, message: `${name}: element ${k}'s 4-byte length prefix is cut off` };
    const len = view.getUint32(pos, true);
    if (pos + 4 + len > bytes.byteLength)
      return { path, message: `${name}: element ${k} declares ${len} bytes, more than remain` };
    pos += 4 + len;
    k++;
  }
  if (k !== count)
    return {
      path,
      message: `${name} of shape ${dims} BYTES needs ${count} elements, the binary data holds ${k}`,
    };
  return undefined;
}

/** Which outputs the response carries as binary. */
export interface OutputForms {
  /** `binary_data_output` on the request. */
  readonly binaryByDefault: boolean;
  /** `binary_data` on a requested output, overriding the default. */
  readonly byName: ReadonlyMap<string, boolean>;
}

export const JSON_OUTPUTS: OutputForms = { binaryByDefault: false, byName: new Map() };

export function isBinaryOutput(forms: OutputForms, name: string): boolean {
  return forms.byName.get(name) ?? forms.binaryByDefault;
}

/** The output flags of a decoded JSON inference header; non-boolean flags are refused. */
export function outputFormsOf(body: Obj): OutputForms {
  const issues: Issue[] = [];
  const flag = (v: unknown, path: string): boolean | undefined => {
    if (v === undefined || typeof v === 'boolean') return v;
    issues.push({ path, message: `must be true or false, got ${JSON.stringify(v)}` });
    return undefined;
  };
  const all = isObj(body.parameters)
    ? flag(body.parameters.binary_data_output, 'parameters.binary_data_output')
    : undefined;
  const byName = new Map<string, boolean>();
  if (Array.isArray(body.outputs))
    body.outputs.forEach((o: unknown, i: number) => {
      if (!isObj(o) || typeof o.name !== 'string' || !isObj(o.parameters)) return;
      const b = flag(o.parameters.binary_data, `outputs[${i}].parameters.binary_data`);
      if (b !== undefined) byName.set(o.name, b);
    });
  if (issues.length) throw new InvalidInferenceError(issues);
  return { binaryByDefault: all ?? false, byName };
}
