// The h2 gRPC transport (data-plane/server/h2) on its own, with handlers written here and real
// grpc-js clients: metadata both ways (-bin included), statuses with encoded messages,
// deadlines, cancellation, unknown methods, oversized and compressed requests, streaming.

import type { ServerHttp2Stream } from 'node:http2';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { H2Call } from '../../data-plane/server/h2/call.js';
import { H2GrpcServer } from '../../data-plane/server/h2/server.js';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../protos/gen/grpc/health/v1/health_pb.js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelMetadataRequestSchema,
  ServerLiveRequestSchema,
  ServerLiveResponseSchema,
  ServerReadyRequestSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';

type Cb = (err: unknown, value?: unknown, trailer?: grpc.Metadata) => void;
const MAX = 64 * 1024;

describe('h2 gRPC transport', () => {
  const server = new H2GrpcServer({ maxReceiveBytes: MAX });
  const seen: { cancelled: string[]; deadline?: Date | number; calls: H2Call[] } = {
    cancelled: [],
    calls: [],
  };
  type Listener = (...args: unknown[]) => void;
  /** The listeners the call and the server put on its stream for it, read while it runs. */
  const mine = new Map<H2Call, Listener[]>();
  const streamOf = (call: H2Call) => (call as unknown as { stream: ServerHttp2Stream }).stream;
  const noteListeners = (call: H2Call) => {
    const c = call as unknown as { inbound: Listener; ended: Listener; closed: Listener };
    mine.set(call, [c.inbound, c.ended, c.closed]);
  };
  /** How many of them are still on the stream. */
  const leftOn = (call: H2Call) => {
    const stream = streamOf(call);
    const on = [...stream.listeners('data'), ...stream.listeners('end'), ...stream.listeners('close')];
    return mine.get(call)!.filter((f) => on.includes(f)).length;
  };
  let address: string;
  let clients: grpc.Client[] = [];

  const client = (def: grpc.ServiceDefinition, options: grpc.ChannelOptions = {}) => {
    const Ctor = grpc.makeGenericClientConstructor(def, 'c');
    const c = new Ctor(address, grpc.credentials.createInsecure(), options);
    clients.push(c);
    return c as unknown as Record<
      string,
      (
        req: unknown,
        md: grpc.Metadata,
        opts: grpc.CallOptions,
        cb: (e: grpc.ServiceError | null, r?: unknown) => void,
      ) => grpc.ClientUnaryCall
    >;
  };

  beforeAll(async () => {
    server.addService(serviceDefinition(GRPCInferenceService), {
      // Echoes metadata: x-* request keys come back in the headers and the trailer.
      serverLive: (call: H2Call, cb: Cb) => {
        const md = new grpc.Metadata();
        for (const [k, v] of Object.entries(call.metadata.getMap())) if (k.startsWith('x-')) md.set(k, v);
        call.sendMetadata(md);
        cb(null, create(ServerLiveResponseSchema, { live: true }), md.clone());
      },
      // Fails with the status and message the request names (model_name "code:message").
      modelMetadata: (call: H2Call<{ name: string }>, cb: Cb) => {
        const [code, ...rest] = call.request.name.split(':');
        const trailer = new grpc.Metadata();
        trailer.set('x-switchyard-error', 'SY_TEST');
        cb({ code: Number(code), details: rest.join(':'), metadata: trailer });
      },
      // Never answers: the call ends by deadline or cancellation.
      serverReady: (call: H2Call, _cb: Cb) => {
        seen.calls.push(call);
        noteListeners(call);
        seen.deadline = call.getDeadline();
        call.on('cancelled', () => seen.cancelled.push(String(call.metadata.get('x-id')[0])));
      },
      // Answers an already-encoded message, as the pod's raw ModelInfer answers do.
      modelInfer: (call: H2Call<ModelInferRequest>, cb: Cb) => {
        seen.calls.push(call);
        noteListeners(call);
        expect(leftOn(call)).toBe(3);
        cb(
          null,
          create(ModelInferResponseSchema, { modelName: call.request.modelName, id: call.request.id }),
        );
      },
    } as unknown as grpc.UntypedServiceImplementation);
    server.addService(serviceDefinition(Health), {
      watch: (call: H2Call) => {
        let n = 0;
        const timer = setInterval(() => {
          call.write(
            create(HealthCheckResponseSchema, {
              status: n++ % 2 ? ServingStatus.SERVING : ServingStatus.NOT_SERVING,
            }),
          );
          if (n === 3) {
            clearInterval(timer);
            call.end();
          }
        }, 10);
        call.on('cancelled', () => clearInterval(timer));
      },
    } as unknown as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    clients = [];
    await new Promise<void>((r) => server.tryShutdown(() => r()));
  });

  it('round-trips metadata, text and -bin, in headers and trailers', async () => {
    const c = client(serviceDefinition(GRPCInferenceService));
    const md = new grpc.Metadata();
    md.set('x-text', 'hello, world');
    md.set('x-data-bin', Buffer.from([0, 1, 254, 255]));
    const got: { headers?: grpc.Metadata; trailer?: grpc.Metadata; live?: boolean } = {};
    await new Promise<void>((resolve, reject) => {
      const call = c.serverLive!(create(ServerLiveRequestSchema), md, {}, (e, r) => {
        if (e) reject(e);
        got.live = (r as { live: boolean }).live;
      });
      call.on('metadata', (h) => (got.headers = h));
      call.on('status', (s) => {
        got.trailer = s.metadata;
        resolve();
      });
    });
    expect(got.live).toBe(true);
    for (const m of [got.headers!, got.trailer!]) {
      expect(m.get('x-text')).toEqual(['hello, world']);
      expect(m.get('x-data-bin')).toEqual([Buffer.from([0, 1, 254, 255])]);
    }
  });

  it('sends a handler error as status, percent-encoded message and trailer metadata', async () => {
    const c = client(serviceDefinition(GRPCInferenceService));
    const message = 'not found: modèle "a%b"\n';
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      c.modelMetadata!(
        create(ModelMetadataRequestSchema, { name: `5:${message}` }),
        new grpc.Metadata(),
        {},
        (e) => resolve(e!),
      ),
    );
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe(message);
    expect(err.metadata.get('x-switchyard-error')).toEqual(['SY_TEST']);
  });

  it('ends a call at its deadline and tells the handler', async () => {
    const c = client(serviceDefinition(GRPCInferenceService));
    const md = new grpc.Metadata();
    md.set('x-id', 'deadline');
    const before = Date.now();
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      c.serverReady!(create(ServerReadyRequestSchema), md, { deadline: Date.now() + 150 }, (e) =>
        resolve(e!),
      ),
    );
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(seen.deadline).toBeInstanceOf(Date);
    expect((seen.deadline as Date).getTime()).toBeGreaterThanOrEqual(before + 100);
    expect((seen.deadline as Date).getTime()).toBeLessThanOrEqual(before + 400);
    await expect.poll(() => seen.cancelled).toContain('deadline');
  });

  it("emits 'cancelled' when the client cancels", async () => {
    const c = client(serviceDefinition(GRPCInferenceService));
    const md = new grpc.Metadata();
    md.set('x-id', 'cancel');
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const call = c.serverReady!(create(ServerReadyRequestSchema), md, {}, (e) => resolve(e!));
      setTimeout(() => call.cancel(), 100);
    });
    expect(err.code).toBe(grpc.status.CANCELLED);
    await expect.poll(() => seen.cancelled).toContain('cancel');
    expect(seen.deadline).toBe(Number.POSITIVE_INFINITY);
    // A cancelled call leaves nothing of its own on its stream either.
    expect(leftOn(seen.calls.at(-1)!)).toBe(0);
  });

  it('takes the call off its stream once it has answered, so the call dies young', async () => {
    const c = client(serviceDefinition(GRPCInferenceService));
    const before = seen.calls.length;
    const res = await new Promise<unknown>((resolve, reject) =>
      c.modelInfer!(
        create(ModelInferRequestSchema, {
          modelName: 'm',
          id: 'detach',
          rawInputContents: [new Uint8Array(8)],
        }),
        new grpc.Metadata(),
        {},
        (e, r) => (e ? reject(e) : resolve(r)),
      ),
    );
    expect((res as { id: string }).id).toBe('detach');
    expect(seen.calls.length).toBe(before + 1);
    // The server's request listeners and the call's close listener all reach the call (and through
    // it the request and the handler's state), which would live as long as Node keeps the stream.
    expect(leftOn(seen.calls.at(-1)!)).toBe(0);
  });

  it('answers UNIMPLEMENTED for a method it does not serve', async () => {
    const c = client(serviceDefinition(Health));
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      c.check!(create(HealthCheckRequestSchema, { service: '' }), new grpc.Metadata(), {}, (e) =>
        resolve(e!),
      ),
    );
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(err.details).toContain('/grpc.health.v1.Health/Check');
  });

  it('refuses a request over the limit with RESOURCE_EXHAUSTED, and serves the next', async () => {
    const c = client(serviceDefinition(GRPCInferenceService));
    const infer = (bytes: number) =>
      new Promise<{ e: grpc.ServiceError | null; r?: unknown }>((resolve) =>
        c.modelInfer!(
          create(ModelInferRequestSchema, {
            modelName: 'm',
            id: String(bytes),
            rawInputContents: [new Uint8Array(bytes)],
          }),
          new grpc.Metadata(),
          {},
          (e, r) => resolve({ e, r }),
        ),
      );
    const big = await infer(MAX + 1);
    expect(big.e?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // Refused while the request was still arriving: the rest is read and dropped by the one shared
    // listener, not by the call's.
    const ok = await infer(MAX - 100);
    expect(ok.e).toBeNull();
    expect((ok.r as { id: string }).id).toBe(String(MAX - 100));
  });

  it('refuses a compressed request (no grpc-encoding is accepted)', async () => {
    const c = client(serviceDefinition(GRPCInferenceService), { 'grpc.default_compression_algorithm': 2 });
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      c.modelInfer!(
        create(ModelInferRequestSchema, { modelName: 'm', rawInputContents: [new Uint8Array(4096)] }),
        new grpc.Metadata(),
        {},
        (e) => resolve(e),
      ),
    );
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('streams a server-streaming method to its end', async () => {
    const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(Health), 'h');
    const c = new Ctor(address, grpc.credentials.createInsecure());
    clients.push(c);
    const stream = (
      c as unknown as { watch(req: unknown): grpc.ClientReadableStream<{ status: number }> }
    ).watch(create(HealthCheckRequestSchema, { service: '' }));
    const statuses: number[] = [];
    stream.on('data', (m) => statuses.push(m.status));
    const end = await new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    expect(end.code).toBe(grpc.status.OK);
    expect(statuses).toEqual([ServingStatus.NOT_SERVING, ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  });

  it('answers a non-gRPC content type with HTTP 415', async () => {
    const http2 = await import('node:http2');
    const session = http2.connect(`http://${address}`);
    const req = session.request({ ':method': 'POST', ':path': '/x/y', 'content-type': 'application/json' });
    req.end(toBinary(ServerLiveResponseSchema, create(ServerLiveResponseSchema)));
    const headers = await new Promise<Record<string, unknown>>((resolve) => req.on('response', resolve));
    expect(headers[':status']).toBe(415);
    session.close();
  });

  it('answers a method other than POST as grpc-go does: 405, allow POST, trailers-only INTERNAL', async () => {
    const http2 = await import('node:http2');
    const session = http2.connect(`http://${address}`);
    const ask = (method: string, body?: Uint8Array) => {
      const req = session.request(
        {
          ':method': method,
          ':path': '/inference.GRPCInferenceService/ServerLive',
          'content-type': 'application/grpc',
        },
        { endStream: body === undefined },
      );
      if (body) req.end(body);
      return new Promise<{ headers: Record<string, unknown>; ended: boolean }>((resolve) =>
        req.on('response', (headers, flags) => {
          req.resume();
          resolve({ headers, ended: (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0 });
        }),
      );
    };
    const message = toBinary(ServerLiveRequestSchema, create(ServerLiveRequestSchema));
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
    for (const [method, body] of [['GET'], ['PUT', frame]] as const) {
      const { headers, ended } = await ask(method, body);
      expect(headers[':status']).toBe(405);
      expect(headers.allow).toBe('POST');
      expect(headers['content-type']).toBe('application/grpc');
      expect(headers['grpc-status']).toBe(String(grpc.status.INTERNAL));
      expect(headers['grpc-message']).toBe(
        `Received a HEADERS frame with :method "${method}" which should be POST`,
      );
      expect(ended).toBe(true);
    }
    // The same session still serves a POST.
    const ok = await ask('POST', frame);
    expect(ok.headers[':status']).toBe(200);
    session.close();
  });
});
