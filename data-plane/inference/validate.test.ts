import { describe, expect, it } from 'vitest';
import type { ModelSignature, Tensor } from '../tensors/tensor.js';
import { validateRequest } from './validate.js';

const sig: ModelSignature = {
  inputs: [
    { name: 'a', datatype: 'FP32', shape: [-1, 4] },
    { name: 'b', datatype: 'INT64', shape: [-1, 1] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
};
const f32 = (name: string, shape: number[], n = shape.reduce((x, y) => x * y, 1)): Tensor => ({
  name,
  datatype: 'FP32',
  shape,
  data: new Uint8Array(n * 4),
});
const i64 = (name: string, shape: number[]): Tensor => ({
  name,
  datatype: 'INT64',
  shape,
  data: new Uint8Array(shape.reduce((x, y) => x * y, 1) * 8),
});
const paths = (r: ReturnType<typeof validateRequest>) => ('issues' in r ? r.issues.map((i) => i.path) : []);

describe('validateRequest', () => {
  it('accepts a good request, puts inputs in signature order and keys batches by trailing shape', () => {
    const r = validateRequest(
      { model: 'm', inputs: [i64('b', [3, 1]), f32('a', [3, 4])], outputs: ['y'] },
      sig,
      8,
    );
    expect('ok' in r && r.ok.rows).toBe(3);
    expect('ok' in r && r.ok.inputs.map((t) => t.name)).toEqual(['a', 'b']);
    expect('ok' in r && r.ok.key).toBe('4|1');
  });

  it('names the field of every mistake', () => {
    expect(
      paths(validateRequest({ model: 'm', inputs: [f32('a', [1, 4]), f32('c', [1, 1])] }, sig, 8)),
    ).toEqual(['inputs[1].name', 'inputs']);
    expect(
      paths(validateRequest({ model: 'm', inputs: [f32('a', [1, 4]), f32('b', [1, 1])] }, sig, 8)),
    ).toEqual(['inputs[1].datatype']);
    expect(
      paths(validateRequest({ model: 'm', inputs: [f32('a', [1, 5]), i64('b', [1, 1])] }, sig, 8)),
    ).toEqual(['inputs[0].shape[1]']);
    expect(paths(validateRequest({ model: 'm', inputs: [f32('a', [4]), i64('b', [1, 1])] }, sig, 8))).toEqual(
      ['inputs[0].shape'],
    );
    expect(
      paths(validateRequest({ model: 'm', inputs: [f32('a', [1, 4], 3), i64('b', [1, 1])] }, sig, 8)),
    ).toEqual(['inputs[0].contents']);
    expect(
      paths(validateRequest({ model: 'm', inputs: [f32('a', [2, 4]), i64('b', [1, 1])] }, sig, 8)),
    ).toEqual(['inputs[1].shape[0]']);
    expect(
      paths(validateRequest({ model: 'm', inputs: [f32('a', [9, 4]), i64('b', [9, 1])] }, sig, 8)),
    ).toContain('inputs[0].shape[0]');
    expect(
      paths(
        validateRequest({ model: 'm', inputs: [f32('a', [1, 4]), i64('b', [1, 1])], outputs: ['z'] }, sig, 8),
      ),
    ).toEqual(['outputs[0].name']);
  });

  it('refuses a zero-row batch: nothing to run, and a batcher must never queue an empty slice', () => {
    const r = validateRequest({ model: 'm', inputs: [f32('a', [0, 4]), i64('b', [0, 1])] }, sig, 8);
    expect('issues' in r && r.issues).toEqual([
      { path: 'inputs[0].shape[0]', message: 'batch size must be 1 to 8, got 0' },
      { path: 'inputs[1].shape[0]', message: 'batch size must be 1 to 8, got 0' },
    ]);
  });

  it('accepts exactly maxBatchSize rows, and refuses negative or fractional dimensions with the rule', () => {
    const full = validateRequest({ model: 'm', inputs: [f32('a', [8, 4]), i64('b', [8, 1])] }, sig, 8);
    expect('ok' in full && full.ok.rows).toBe(8);
    const fractional = validateRequest(
      { model: 'm', inputs: [{ ...f32('a', [1, 4]), shape: [1, 1.5] }, i64('b', [1, 1])] },
      sig,
      8,
    );
    expect('issues' in fractional && fractional.issues).toEqual([
      { path: 'inputs[0].shape[1]', message: 'a must have shape [-1, 4], got [1, 1.5]' },
    ]);
    const negative = validateRequest(
      { model: 'm', inputs: [{ ...f32('a', [1, 4]), shape: [-2, 4] }, i64('b', [1, 1])] },
      sig,
      8,
    );
    expect(paths(negative)).toEqual(['inputs[0].shape[0]']);
  });

  it('checks the full shape of unbatched models', () => {
    const fixed: ModelSignature = { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3] }], outputs: [] };
    expect(paths(validateRequest({ model: 'm', inputs: [f32('x', [1, 3])] }, fixed, 0))).toEqual([
      'inputs[0].shape[0]',
    ]);
    const ok = validateRequest({ model: 'm', inputs: [f32('x', [2, 3])] }, fixed, 0);
    expect('ok' in ok && ok.ok.rows).toBe(1);
    // Unbatched requests are never merged: one batch key for all of them.
    expect('ok' in ok && ok.ok.key).toBe('');
  });

  it('says in each refusal what is wrong, with the names and figures a caller needs', () => {
    const issues = (r: ReturnType<typeof validateRequest>) => ('issues' in r ? r.issues : []);
    expect(
      issues(
        validateRequest(
          { model: 'm', inputs: [f32('a', [1, 4]), f32('a', [1, 4]), f32('c', [1, 1])] },
          sig,
          8,
        ),
      ),
    ).toEqual([
      { path: 'inputs[1].name', message: 'input a is given twice' },
      { path: 'inputs[2].name', message: 'model has no input "c" (inputs: a, b)' },
      { path: 'inputs', message: 'input b is missing' },
    ]);
    expect(
      issues(validateRequest({ model: 'm', inputs: [f32('a', [1, 4]), f32('b', [1, 1])] }, sig, 8)),
    ).toEqual([{ path: 'inputs[1].datatype', message: 'b must be INT64, got FP32' }]);
    expect(
      issues(validateRequest({ model: 'm', inputs: [f32('a', [4]), i64('b', [1, 1])] }, sig, 8)),
    ).toEqual([{ path: 'inputs[0].shape', message: 'a must have rank 2 ([-1, 4]), got [4]' }]);
    expect(
      issues(validateRequest({ model: 'm', inputs: [f32('a', [1, 4], 3), i64('b', [1, 1])] }, sig, 8)),
    ).toEqual([{ path: 'inputs[0].contents', message: 'a of shape [1, 4] FP32 needs 16 bytes, got 12' }]);
    expect(
      issues(validateRequest({ model: 'm', inputs: [f32('a', [2, 4]), i64('b', [1, 1])] }, sig, 8)),
    ).toEqual([{ path: 'inputs[1].shape[0]', message: "batch size 1 differs from other inputs' 2" }]);
    expect(
      issues(validateRequest({ model: 'm', inputs: [f32('a', [9, 4]), i64('b', [9, 1])] }, sig, 8)),
    ).toEqual([
      { path: 'inputs[0].shape[0]', message: 'batch size must be 1 to 8, got 9' },
      { path: 'inputs[1].shape[0]', message: 'batch size must be 1 to 8, got 9' },
    ]);
    expect(
      issues(
        validateRequest(
          { model: 'm', inputs: [f32('a', [1, 4]), i64('b', [1, 1])], outputs: ['y', 'z'] },
          sig,
          8,
        ),
      ),
    ).toEqual([{ path: 'outputs[1].name', message: 'model has no output "z" (outputs: y)' }]);
  });

  it('refuses string tensors, which cannot be batched as raw bytes', () => {
    const strings: ModelSignature = { inputs: [{ name: 's', datatype: 'BYTES', shape: [-1] }], outputs: [] };
    const r = validateRequest(
      { model: 'm', inputs: [{ name: 's', datatype: 'BYTES', shape: [1], data: new Uint8Array(4) }] },
      strings,
      8,
    );
    expect('issues' in r && r.issues).toEqual([
      { path: 'inputs[0].datatype', message: 'BYTES tensors are not served' },
    ]);
  });

  it('accepts a dimension the signature leaves free at any size, and keys each input by its trailing shape', () => {
    const free: ModelSignature = {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [-1, -1, 2] },
        { name: 'm', datatype: 'FP32', shape: [-1] },
      ],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
    };
    const r = validateRequest({ model: 'm', inputs: [f32('x', [2, 5, 2]), f32('m', [2])] }, free, 4);
    expect('ok' in r && r.ok).toEqual({
      inputs: [f32('x', [2, 5, 2]), f32('m', [2])],
      rows: 2,
      key: '5x2|',
      outputs: [],
    });
    // A free dimension still takes no fractions.
    expect(
      paths(
        validateRequest(
          { model: 'm', inputs: [{ ...f32('x', [2, 5, 2]), shape: [2, 2.5, 2] }, f32('m', [2])] },
          free,
          4,
        ),
      ),
    ).toEqual(['inputs[0].shape[1]']);
    // A free dimension may be empty (zero elements, zero bytes); only the batch dimension may not.
    const empty = validateRequest({ model: 'm', inputs: [f32('x', [2, 0, 2]), f32('m', [2])] }, free, 4);
    expect('ok' in empty && empty.ok.key).toBe('0x2|');
    // A dimension the signature fixes at 0 is fixed like any other.
    const zero: ModelSignature = { inputs: [{ name: 'z', datatype: 'FP32', shape: [-1, 0] }], outputs: [] };
    expect(paths(validateRequest({ model: 'm', inputs: [f32('z', [1, 3])] }, zero, 4))).toEqual([
      'inputs[0].shape[1]',
    ]);
    // Unbatched: the rows are 1 whatever the first dimension says.
    const one = validateRequest({ model: 'm', inputs: [f32('x', [3, 5, 2]), f32('m', [7])] }, free, 0);
    expect('ok' in one && one.ok.rows).toBe(1);
  });
  it('lists every shape dimension and every output name in its refusals, and accepts any one of several outputs', () => {
    const two: ModelSignature = {
      inputs: [{ name: 'a', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [-1] },
        { name: 'w', datatype: 'FP32', shape: [-1] },
      ],
    };
    const issues = (r: ReturnType<typeof validateRequest>) => ('issues' in r ? r.issues : []);
    // Asking for one output of several is fine: the name must be one of them, not all of them.
    const r = validateRequest({ model: 'm', inputs: [f32('a', [1, 4])], outputs: ['w'] }, two, 8);
    expect('ok' in r && r.ok.outputs).toEqual(['w']);
    expect(
      issues(validateRequest({ model: 'm', inputs: [f32('a', [1, 4])], outputs: ['q'] }, two, 8)),
    ).toEqual([{ path: 'outputs[0].name', message: 'model has no output "q" (outputs: y, w)' }]);
    expect(issues(validateRequest({ model: 'm', inputs: [f32('a', [1, 4, 2])] }, two, 8))).toEqual([
      { path: 'inputs[0].shape', message: 'a must have rank 2 ([-1, 4]), got [1, 4, 2]' },
    ]);
  });
});
