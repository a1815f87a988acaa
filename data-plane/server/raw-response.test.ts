import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ModelInferResponseSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import type { InferResponse } from '../tensors/tensor.js';
import { encodeInferResponse } from './grpc-codec.js';
import { encodeRawInferResponse } from './raw-response.js';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const cases: Record<string, InferResponse> = {
  'one output': {
    model: 'convnet',
    version: '1',
    outputs: [{ name: 'scores', datatype: 'FP32', shape: [1, 10], data: bytes(40, 1) }],
  },
  'id, several outputs, multi-byte lengths and dims, non-ASCII names': {
    model: 'mödel-ü',
    version: '12',
    id: 'req-42',
    outputs: [
      { name: 'probabilities', datatype: 'FP32', shape: [64, 3072], data: bytes(64 * 3072 * 4, 2) },
      { name: 'idx', datatype: 'INT64', shape: [300, 1], data: bytes(2400, 3) },
      { name: 'scalar', datatype: 'FP16', shape: [], data: bytes(2, 4) },
      { name: 'empty', datatype: 'UINT8', shape: [0, 5], data: new Uint8Array(0) },
    ],
  },
  'huge dimension': {
    model: 'm',
    version: 'v',
    outputs: [{ name: 'y', datatype: 'BOOL', shape: [2 ** 40, 0], data: bytes(3, 5) }],
  },
};

describe('hand-encoded raw ModelInferResponse', () => {
  for (const [name, res] of Object.entries(cases))
    it(`is byte for byte what protobuf-es writes: ${name}`, () => {
      const generic = toBinary(ModelInferResponseSchema, encodeInferResponse(res, true));
      const hand = encodeRawInferResponse(res);
      expect(Buffer.compare(Buffer.from(hand), Buffer.from(generic))).toBe(0);
      const back = fromBinary(ModelInferResponseSchema, hand);
      expect(back.modelName).toBe(res.model);
      expect(back.outputs.map((o) => o.shape.map(Number))).toEqual(res.outputs.map((o) => [...o.shape]));
      expect(back.rawOutputContents.map((b) => Buffer.from(b).toString('hex'))).toEqual(
        res.outputs.map((o) => Buffer.from(o.data).toString('hex')),
      );
    });
});
