// The forwarder against a real grpc-js server standing in for the candidate pod: it samples,
// compares what comes back, and bounds the copies in flight when the candidate stalls.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import { memoryLogger } from '../../kernel/log/index.js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  ModelInferResponseSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import type { InferRequest, InferResponse } from '../tensors/tensor.js';
import { MAX_MIRROR_IN_FLIGHT, MirrorForwarder } from './forwarder.js';

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);
const REQ: InferRequest = {
  model: 'm',
  version: '1',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: f32([1, 2]) }],
};
const RES: InferResponse = {
  model: 'm',
  version: '1',
  outputs: [{ name: 'p', datatype: 'FP32', shape: [1, 2], data: f32([0.9, 0.1]) }],
};

type Handler = (
  call: grpc.ServerUnaryCall<ModelInferRequest, unknown>,
  cb: grpc.sendUnaryData<unknown>,
) => void;

async function candidate(handler: Handler): Promise<{ server: grpc.Server; target: string }> {
  const server = new grpc.Server();
  server.addService(serviceDefinition(GRPCInferenceService), {
    modelInfer: handler,
  } as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { server, target: `127.0.0.1:${port}` };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('MirrorForwarder', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  it('copies the stable version’s requests to the candidate version and compares the answers', async () => {
    const seen: ModelInferRequest[] = [];
    const { server, target } = await candidate((call, cb) => {
      seen.push(call.request);
      // Other top-1 class than the stable answer.
      cb(
        null,
        create(ModelInferResponseSchema, {
          modelName: 'm',
          modelVersion: '2',
          outputs: [{ name: 'p', datatype: 'FP32', shape: [1n, 2n] }],
          rawOutputContents: [f32([0.2, 0.8])],
        }),
      );
    });
    cleanup.push(() => server.forceShutdown());
    const results: [string, boolean, number][] = [];
    const fwd = new MirrorForwarder(
      { mirrored: (_m, v, agreed, diff) => results.push([v, agreed, diff]) },
      memoryLogger(),
    );
    cleanup.push(() => fwd.close());
    fwd.configure({
      model: 'm',
      fromVersion: '1',
      toVersion: '2',
      percent: 100,
      targets: [target],
      tolerance: 0,
    });
    fwd.offer(REQ, RES);
    fwd.offer(REQ, { ...RES, version: '3' }); // another version: not mirrored
    await until('the copy answered', () => fwd.counts.answered === 1);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.modelVersion).toBe('2');
    expect(Array.from(new Float32Array(new Uint8Array(seen[0]!.rawInputContents[0]!).buffer))).toEqual([
      1, 2,
    ]);
    expect(results).toHaveLength(1);
    // Counted on the stable version, whose pod compared.
    expect(results[0]![0]).toBe('1');
    expect(results[0]![1]).toBe(false);
    expect(results[0]![2]).toBeCloseTo(0.7, 5);
  });

  it('samples percent of the requests and skips copies beyond the in-flight bound', async () => {
    const stalled: grpc.sendUnaryData<unknown>[] = [];
    const { server, target } = await candidate((_call, cb) => stalled.push(cb));
    cleanup.push(() => server.forceShutdown());
    let n = 0;
    const fwd = new MirrorForwarder({ mirrored: () => {} }, memoryLogger(), () => (n++ % 4) / 4);
    cleanup.push(() => fwd.close());
    fwd.configure({
      model: 'm',
      fromVersion: '1',
      toVersion: '2',
      percent: 50,
      targets: [target],
      tolerance: 0,
    });
    for (let i = 0; i < 8; i++) if (fwd.sample('m', '1')) fwd.offer(REQ, RES);
    // random() cycles 0, .25, .5, .75: half are below 50 %.
    expect(fwd.sample('m', '3')).toBe(false);
    expect(fwd.counts.sent).toBe(4);
    fwd.configure({
      model: 'm',
      fromVersion: '1',
      toVersion: '2',
      percent: 100,
      targets: [target],
      tolerance: 0,
    });
    for (let i = 0; i < MAX_MIRROR_IN_FLIGHT + 10; i++) fwd.offer(REQ, RES);
    expect(fwd.counts.sent).toBe(MAX_MIRROR_IN_FLIGHT);
    expect(fwd.counts.skipped).toBe(14);
    await until('the stalled copies to arrive', () => stalled.length === MAX_MIRROR_IN_FLIGHT);
    fwd.configure(undefined);
    expect(fwd.sample('m', '1')).toBe(false);
    fwd.offer(REQ, RES);
    expect(fwd.counts.sent).toBe(MAX_MIRROR_IN_FLIGHT);
  });
});
