import { describe, expect, it } from 'vitest';
import { InvalidInferenceError } from '../errors.js';
import {
  BinaryTail,
  binaryShapeIssue,
  isBinaryOutput,
  outputFormsOf,
  parseHeaderLength,
} from './http-binary.js';
import { decodeJsonInfer, encodeJsonInfer } from './http-json.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInferenceError) return err.message;
    throw err;
  }
  return '';
}

/** BYTES elements as the extension writes them: a 4-byte little-endian length, then the bytes. */
function bytesElements(...items: string[]): Uint8Array {
  const parts = items.map((s) => Buffer.from(s));
  const out = Buffer.alloc(parts.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.writeUInt32LE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}

describe('Inference-Header-Content-Length', () => {
  it('is a positive decimal byte count', () => {
    expect(parseHeaderLength(undefined)).toBeUndefined();
    expect(parseHeaderLength('123')).toBe(123);
    expect(parseHeaderLength(' 7 ')).toBe(7);
    for (const bad of ['', '-1', 'NaN', '1e3', '1.5', '0x10', 'Infinity', '9007199254740993'])
      expect(messageOf(() => parseHeaderLength(bad))).toMatch(/^Inference-Header-Content-Length: /);
    expect(messageOf(() => parseHeaderLength('0'))).toMatch(/at least 1/);
    expect(messageOf(() => parseHeaderLength(['1', '2']))).toMatch(/more than once/);
  });
});

describe('binary inputs', () => {
  it('are views into the tail, taken in the order the inputs are listed', () => {
    const tail = new Uint8Array(new Float32Array([1, 2, 3, 4, 5]).buffer);
    const req = decodeJsonInfer(
      {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } },
          { name: 'j', datatype: 'INT32', shape: [1], data: [7] },
          { name: 'b', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 12 } },
        ],
      },
      'm',
      undefined,
      new BinaryTail(tail),
    );
    const [a, j, b] = req.inputs;
    expect(a!.data.buffer).toBe(tail.buffer);
    expect(a!.data.byteOffset).toBe(0);
    expect(b!.data.buffer).toBe(tail.buffer);
    expect(b!.data.byteOffset).toBe(8);
    expect(Array.from(new Float32Array(b!.data.slice().buffer))).toEqual([3, 4, 5]);
    expect(Array.from(new Int32Array(j!.data.slice().buffer))).toEqual([7]);
  });

  it('checks BYTES elements by their length prefixes', () => {
    const ok = bytesElements('ab', '', 'xyz');
    expect(binaryShapeIssue(ok, 'BYTES', [3], 's', 'inputs[0]')).toBeUndefined();
    expect(binaryShapeIssue(ok, 'BYTES', [1, 2], 's', 'inputs[0]')?.message).toBe(
      's of shape [1, 2] BYTES needs 2 elements, the binary data holds 3',
    );
    expect(binaryShapeIssue(ok.subarray(0, ok.length - 1), 'BYTES', [3], 's', 'inputs[0]')?.message).toBe(
      's: element 2 declares 3 bytes, more than remain',
    );
    expect(binaryShapeIssue(ok.subarray(0, 8), 'BYTES', [2], 's', 'inputs[0]')?.message).toBe(
      "s: element 1's 4-byte length prefix is cut off",
    );
    const req = decodeJsonInfer(
      { inputs: [{ name: 's', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: ok.length } }] },
      'm',
      undefined,
      new BinaryTail(ok),
    );
    expect(req.inputs[0]!.data).toEqual(ok);
  });

  it('counts BOOL as one byte per element', () => {
    expect(binaryShapeIssue(new Uint8Array(3), 'BOOL', [3], 'b', 'inputs[0]')).toBeUndefined();
    expect(binaryShapeIssue(new Uint8Array(3), 'FP16', [3], 'b', 'inputs[0]')?.message).toBe(
      'b of shape [3] FP16 needs 6 bytes, binary_data_size is 3',
    );
  });
});

describe('binary outputs', () => {
  it('follow the request flag unless an output sets its own', () => {
    const forms = outputFormsOf({
      parameters: { binary_data_output: true },
      outputs: [{ name: 'y', parameters: { binary_data: false } }, { name: 'z' }],
    });
    expect(isBinaryOutput(forms, 'y')).toBe(false);
    expect(isBinaryOutput(forms, 'z')).toBe(true);
    expect(
      isBinaryOutput(outputFormsOf({ outputs: [{ name: 'y', parameters: { binary_data: true } }] }), 'z'),
    ).toBe(false);
    expect(messageOf(() => outputFormsOf({ parameters: { binary_data_output: 1 } }))).toBe(
      'parameters.binary_data_output: must be true or false, got 1',
    );
  });

  it('are written as they are, after the JSON, in output order', () => {
    const y = new Uint8Array(new Float32Array([0.1, 0.2]).buffer);
    const z = new Uint8Array(new Int32Array([5]).buffer);
    const out = encodeJsonInfer(
      {
        model: 'm',
        version: '1',
        outputs: [
          { name: 'y', datatype: 'FP32', shape: [2], data: y },
          { name: 'j', datatype: 'INT32', shape: [1], data: z },
          { name: 'z', datatype: 'INT32', shape: [1], data: z },
        ],
      },
      { binaryByDefault: true, byName: new Map([['j', false]]) },
    );
    expect(out.binary).toEqual([y, z]);
    expect(out.binary[0]).toBe(y);
    expect(out.json.outputs).toEqual([
      { name: 'y', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
      { name: 'j', datatype: 'INT32', shape: [1], data: [5] },
      { name: 'z', datatype: 'INT32', shape: [1], parameters: { binary_data_size: 4 } },
    ]);
  });
});
