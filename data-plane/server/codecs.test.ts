import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ModelInferRequestSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { InvalidInferenceError } from '../errors.js';
import { decodeInferRequest, encodeInferResponse } from './grpc-codec.js';
import { decodeJsonInfer, encodeJsonInfer } from './http-json.js';
import { routeOf } from './http-server.js';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInferenceError) return err.issues.map((i) => i.path);
    throw err;
  }
  return [];
}

describe('REST routes', () => {
  it('maps KServe v2 paths', () => {
    expect(routeOf('GET', '/v2/health/ready')).toEqual({ kind: 'ready' });
    expect(routeOf('GET', '/v2/models/mlp')).toEqual({ kind: 'model', model: 'mlp' });
    expect(routeOf('GET', '/v2/models/mlp/versions/2/ready')).toEqual({
      kind: 'model-ready',
      model: 'mlp',
      version: '2',
    });
    expect(routeOf('POST', '/v2/models/mlp/versions/2/infer')).toEqual({
      kind: 'infer',
      model: 'mlp',
      version: '2',
    });
    expect(routeOf('GET', '/v2/models/mlp/infer')).toEqual({ error: 405 });
    expect(routeOf('GET', '/v3')).toEqual({ error: 404 });
  });
});

describe('JSON bodies', () => {
  it('decodes nested or flat data and encodes flat data', () => {
    const req = decodeJsonInfer(
      {
        id: 'r1',
        inputs: [
          {
            name: 'x',
            datatype: 'INT64',
            shape: [2, 2],
            data: [
              [1, 2],
              [3, 4],
            ],
          },
        ],
        outputs: [{ name: 'y' }],
      },
      'm',
      '1',
    );
    expect(req.id).toBe('r1');
    expect(req.outputs).toEqual(['y']);
    expect(Array.from(new BigInt64Array(req.inputs[0]!.data.slice().buffer))).toEqual([1n, 2n, 3n, 4n]);
    const out = encodeJsonInfer({ model: 'm', version: '1', outputs: [{ ...req.inputs[0]!, name: 'y' }] });
    expect(out.binary).toEqual([]);
    expect(out.json).toEqual({
      model_name: 'm',
      model_version: '1',
      outputs: [{ name: 'y', datatype: 'INT64', shape: [2, 2], data: [1, 2, 3, 4] }],
    });
  });

  it('names every malformed field', () => {
    expect(issuesOf(() => decodeJsonInfer([], 'm', undefined))).toEqual(['']);
    expect(
      issuesOf(() =>
        decodeJsonInfer(
          {
            inputs: [
              { name: 'a', datatype: 'FLOAT', shape: [1], data: [1] },
              { name: 'b', datatype: 'FP32', shape: [2], data: [1] },
              { name: 'c', datatype: 'INT32', shape: [1], data: [1.5] },
              { name: 'd', datatype: 'FP32', shape: [1], data: [1], parameters: { binary_data_size: 4 } },
              { datatype: 'FP32', shape: [1], data: [1] },
            ],
          },
          'm',
          undefined,
        ),
      ),
    ).toEqual([
      'inputs[0].datatype',
      'inputs[1].data',
      'inputs[2].data[0]',
      'inputs[3].parameters.binary_data_size',
      'inputs[4].name',
    ]);
  });
});

describe('gRPC messages', () => {
  it('decodes typed contents and raw contents, and answers in the same form', () => {
    const typed = decodeInferRequest(
      create(ModelInferRequestSchema, {
        modelName: 'm',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1n, 2n], contents: { fp32Contents: [0.5, 2] } }],
      }),
    );
    expect(typed.raw).toBe(false);
    expect(Array.from(new Float32Array(typed.request.inputs[0]!.data.slice().buffer))).toEqual([0.5, 2]);
    const res = encodeInferResponse(
      { model: 'm', version: '1', outputs: [{ ...typed.request.inputs[0]! }] },
      false,
    );
    expect(res.outputs[0]!.contents?.fp32Contents).toEqual([0.5, 2]);
    expect(res.rawOutputContents).toEqual([]);
    const raw = decodeInferRequest(
      create(ModelInferRequestSchema, {
        modelName: 'm',
        inputs: [{ name: 'x', datatype: 'FP16', shape: [1n] }],
        rawInputContents: [new Uint8Array([0, 60])],
      }),
    );
    expect(raw.raw).toBe(true);
    const rawRes = encodeInferResponse({ model: 'm', version: '1', outputs: raw.request.inputs }, true);
    expect(rawRes.rawOutputContents[0]).toEqual(new Uint8Array([0, 60]));
    expect(rawRes.outputs[0]!.contents).toBeUndefined();
  });

  it('names malformed fields', () => {
    expect(
      issuesOf(() =>
        decodeInferRequest(
          create(ModelInferRequestSchema, {
            inputs: [
              { name: 'x', datatype: 'FP32', shape: [2n], contents: { fp32Contents: [1] } },
              { name: 'h', datatype: 'FP16', shape: [1n], contents: {} },
              { name: 'q', datatype: 'QUAT', shape: [1n] },
            ],
          }),
        ),
      ),
    ).toEqual(['model_name', 'inputs[0].contents', 'inputs[1].contents', 'inputs[2].datatype']);
    expect(
      issuesOf(() =>
        decodeInferRequest(
          create(ModelInferRequestSchema, {
            modelName: 'm',
            inputs: [
              { name: 'x', datatype: 'FP32', shape: [1n] },
              { name: 'y', datatype: 'FP32', shape: [1n] },
            ],
            rawInputContents: [new Uint8Array(4)],
          }),
        ),
      ),
    ).toEqual(['raw_input_contents']);
  });
});
