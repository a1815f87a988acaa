// A pod on the h2 gRPC transport beside one on grpc-js, over the same repository: the same
// answers (raw and typed ModelInfer, metadata, errors and their trailers), deadlines, health
// check and watch, the ORCA stream, a C-core (python grpcio) client; and xDS-managed ports
// refuse h2.
import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import { promisify } from 'node:util';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import { Pod } from '../../data-plane/pod.js';
import {
  decodeCallLoad,
  LOAD_REPORT_FORMAT,
  LOAD_REPORT_REQUEST,
  LOAD_REPORT_TRAILER,
} from '../../kernel/grpc/least-load/index.js';
import {
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../protos/gen/grpc/health/v1/health_pb.js';
import {
  ModelInferRequestSchema,
  type ModelInferResponse,
  ModelInferResponseSchema,
  type ModelMetadataResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { ccoreUnavailable, PYTHON } from '../helpers/ccore-client.js';
import {
  f32Bytes,
  inputRows,
  KServeClient,
  modelRepoCopy,
  ORCA_REQUEST,
  OrcaClient,
  startTestPod,
  testPodOptions,
} from './harness.js';

const ROWS = 2;

/** Top-level field numbers of a protobuf message (varint, fixed64, length-delimited, fixed32). */
function fieldsOf(buf: Buffer): number[] {
  const fields: number[] = [];
  let at = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (at < buf.length) {
    const tag = varint();
    fields.push(Math.floor(tag / 8));
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 2) at += varint();
    else if (wire === 5) at += 4;
    else throw new Error(`wire type ${wire}`);
  }
  return fields;
}
const rawRequest = (id: string) => ({
  modelName: 'mlp',
  modelVersion: '1',
  id,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [BigInt(ROWS), BigInt(MLP.inputs)] }],
  rawInputContents: [f32Bytes(inputRows(ROWS, MLP.inputs, 5))],
});

describe('pod on the h2 gRPC transport', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let h2: Pod;
  let js: Pod;
  let onH2: KServeClient;
  let onJs: KServeClient;

  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp', 'affine']);
    h2 = await startTestPod(repo.dir, { grpcTransport: 'h2' });
    js = await startTestPod(repo.dir, { grpcTransport: 'grpc-js' });
    onH2 = new KServeClient(h2.ports.grpc);
    onJs = new KServeClient(js.ports.grpc);
  });

  afterAll(async () => {
    onH2?.close();
    onJs?.close();
    await h2?.close();
    await js?.close();
    await repo?.cleanup();
  });

  it('answers ModelInfer, raw and typed, exactly as the grpc-js transport does', async () => {
    const raw = await Promise.all([onH2.infer(rawRequest('r')), onJs.infer(rawRequest('r'))]);
    expect(raw[0].rawOutputContents[0]!.length).toBe(ROWS * MLP.classes * 4);
    expect(raw[0]).toEqual(raw[1]);
    const x = Array.from(inputRows(ROWS, MLP.inputs, 9));
    const typedReq = {
      modelName: 'mlp',
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [BigInt(ROWS), BigInt(MLP.inputs)],
          contents: { fp32Contents: x },
        },
      ],
    };
    const typed = await Promise.all([onH2.infer(typedReq), onJs.infer(typedReq)]);
    expect(typed[0].outputs[0]!.contents!.fp32Contents).toHaveLength(ROWS * MLP.classes);
    expect(typed[0]).toEqual(typed[1]);
    const meta = await Promise.all(
      [onH2, onJs].map((c) => c.call<ModelMetadataResponse>('modelMetadata', { name: 'mlp', version: '' })),
    );
    expect(meta[0]).toEqual(meta[1]);
  });

  it('sends the per-call load report trailer to calls that ask, on both transports, as grpc-js clients read it', async () => {
    // The raw trailer on the wire: base64 of the OrcaLoadReport, as Metadata would send it.
    const trailersOf = (port: number, ask: boolean) =>
      new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const session = http2.connect(`http://127.0.0.1:${port}`);
        const body = toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, rawRequest('t')));
        const framed = Buffer.alloc(5 + body.length);
        framed.writeUInt32BE(body.length, 1);
        framed.set(body, 5);
        const req = session.request({
          ':method': 'POST',
          ':path': '/inference.GRPCInferenceService/ModelInfer',
          'content-type': 'application/grpc',
          te: 'trailers',
          ...(ask ? { [LOAD_REPORT_REQUEST]: LOAD_REPORT_FORMAT } : {}),
        });
        req.on('trailers', (t) => resolve(t));
        req.on('data', () => undefined);
        req.on('close', () => session.close());
        req.on('error', reject);
        req.end(framed);
      });
    for (const pod of [h2, js]) {
      // A call that does not ask gets no report: most clients read none.
      const plain = await trailersOf(pod.ports.grpc, false);
      expect(plain['grpc-status']).toBe('0');
      expect(plain[LOAD_REPORT_TRAILER]).toBeUndefined();
      const t = await trailersOf(pod.ports.grpc, true);
      expect(t['grpc-status']).toBe('0');
      const value = t[LOAD_REPORT_TRAILER];
      expect(typeof value).toBe('string');
      const load = decodeCallLoad(Buffer.from(value as string, 'base64'));
      expect(load?.inflight).toBeGreaterThanOrEqual(0);
      expect(load?.costMs).toBeGreaterThan(0);
    }
    // And through a grpc-js client, which hands -bin trailers over decoded.
    const seen = await new Promise<grpc.Metadata>((resolve, reject) => {
      const method = (
        onH2.client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>
      ).modelInfer!.bind(onH2.client);
      const ask = new grpc.Metadata();
      ask.set(LOAD_REPORT_REQUEST, LOAD_REPORT_FORMAT);
      const call = method(
        create(ModelInferRequestSchema, rawRequest('m')),
        ask,
        {},
        (err: Error | null) => err && reject(err),
      );
      call.on('status', (st: grpc.StatusObject) => resolve(st.metadata));
    });
    expect(decodeCallLoad(seen.get(LOAD_REPORT_TRAILER)[0] as Buffer)?.costMs).toBeGreaterThan(0);
  });

  it('fails alike: status, message and the error code in the trailer', async () => {
    const errs = await Promise.all(
      [onH2, onJs].map((c) =>
        c.infer({ ...rawRequest('e'), modelName: 'nope' }).then(
          () => undefined,
          (e: grpc.ServiceError) => e,
        ),
      ),
    );
    expect(errs[0]?.code).toBe(grpc.status.NOT_FOUND);
    expect(errs[0]?.details).toBe(errs[1]?.details);
    expect(errs[0]?.metadata.get('x-switchyard-error')).toEqual(['SY_MODEL_NOT_FOUND']);
  });

  it('takes the grpc-timeout as the deadline', async () => {
    h2.setInjectDelay(400);
    try {
      const err = await onH2.infer(rawRequest('d'), { deadline: Date.now() + 100 }).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    } finally {
      h2.setInjectDelay(0);
    }
    expect((await onH2.infer(rawRequest('after'))).id).toBe('after');
  });

  it('serves Health.Check and a Health.Watch that the pod ends at close', async () => {
    const check = await onH2.call<HealthCheckResponse>('check', { service: 'mlp' }, {}, onH2.health);
    expect(check.status).toBe(ServingStatus.SERVING);
    const unknown = await onH2.call('check', { service: 'nope' }, {}, onH2.health).catch((e) => e);
    expect((unknown as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    const watch = (
      onH2.health as unknown as { watch(r: unknown): grpc.ClientReadableStream<HealthCheckResponse> }
    ).watch(create(HealthCheckRequestSchema, { service: '' }));
    const first = await new Promise<HealthCheckResponse>((resolve) => watch.once('data', resolve));
    expect(first.status).toBe(ServingStatus.SERVING);
    const ended = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
    watch.on('error', () => {});
    h2.health.endWatches();
    expect((await ended).code).toBe(grpc.status.OK);
  });

  it('streams ORCA load reports (OpenRcaService) after ModelInfer calls', async () => {
    await onH2.infer(rawRequest('load'));
    const c = new OrcaClient(`127.0.0.1:${h2.ports.grpc}`, grpc.credentials.createInsecure());
    const stream = (
      c as unknown as { streamCoreMetrics(r: Buffer): grpc.ClientReadableStream<Buffer> }
    ).streamCoreMetrics(ORCA_REQUEST);
    stream.on('error', () => {});
    const report = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.cancel();
    c.close();
    // OrcaLoadReport's rps_fractional (6) and application_utilization (9): calls were served.
    expect(fieldsOf(report)).toEqual(expect.arrayContaining([6, 9]));
  });

  it('answers a C-core client (python grpcio) with the same bytes as grpc-js', async () => {
    expect(ccoreUnavailable()).toBeUndefined();
    const payload = Buffer.from(
      toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, rawRequest('cc'))),
    );
    const script = [
      'import base64, sys, grpc',
      'out = []',
      'for port in sys.argv[2:]:',
      '    ch = grpc.insecure_channel("127.0.0.1:" + port)',
      '    call = ch.unary_unary("/inference.GRPCInferenceService/ModelInfer")',
      '    out.append(base64.b64encode(call(base64.b64decode(sys.argv[1]), timeout=10)).decode())',
      'print(" ".join(out))',
    ].join('\n');
    // Not spawnSync: the pods answer from this process's event loop.
    const r = await promisify(execFile)(
      PYTHON,
      ['-c', script, payload.toString('base64'), String(h2.ports.grpc), String(js.ports.grpc)],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    const [fromH2, fromJs] = r.stdout.trim().split(' ');
    const decoded: ModelInferResponse = fromBinary(ModelInferResponseSchema, Buffer.from(fromH2!, 'base64'));
    expect(decoded.id).toBe('cc');
    expect(decoded.rawOutputContents[0]!.length).toBe(ROWS * MLP.classes * 4);
    expect(fromH2).toBe(fromJs);
  });

  it('refuses h2 for an xDS-managed gRPC port', async () => {
    await expect(
      Pod.start(
        testPodOptions(repo.dir, {
          grpcTransport: 'h2',
          xds: { server: '127.0.0.1:1', drainGraceMs: 100 },
        }),
      ),
    ).rejects.toThrow(/--grpc-transport h2 cannot serve an xDS-managed gRPC port/);
  });
});
