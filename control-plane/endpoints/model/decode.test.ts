import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  DeregistrationSchema,
  DrainNoticeSchema,
  ExecutionProvider,
  HeartbeatSchema,
  LatencyWindowSchema,
  ModelLoadSchema,
  ModelState,
  ModelVersionSchema,
  PodRegistrationSchema,
  PodState,
  PortsSchema,
  UtilizationSchema,
} from '../../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { decodePodMessage } from './decode.js';
import { EndpointIdentityError, EndpointMessageError } from './errors.js';

function registration(podId: string, extra: Record<string, unknown> = {}) {
  return toBinary(
    PodRegistrationSchema,
    create(PodRegistrationSchema, {
      podId,
      address: '10.0.0.7',
      ports: create(PortsSchema, { http: 8000, grpc: 8001, metrics: 8002 }),
      models: [
        create(ModelVersionSchema, {
          model: 'mlp',
          version: '1',
          state: ModelState.READY,
          executionProvider: ExecutionProvider.GPU,
        }),
        create(ModelVersionSchema, { model: 'mlp', version: '2', state: ModelState.LOADING }),
      ],
      region: 'eu',
      zone: 'eu-a',
      revision: 3n,
      sequence: 9n,
      heartbeatIntervalMs: 250,
      state: PodState.SERVING,
      ...extra,
    }),
  );
}

describe('pod message decoding', () => {
  it('turns a registration into the pod facts the table needs (READY versions only)', () => {
    const m = decodePodMessage('register', 'switchyard.pod.pod-a.register', registration('pod-a'));
    expect(m.kind).toBe('register');
    if (m.kind !== 'register') return;
    expect(m.info).toMatchObject({
      podId: 'pod-a',
      address: '10.0.0.7',
      port: 8001,
      region: 'eu',
      zone: 'eu-a',
      revision: 3n,
      sequence: 9n,
      intervalMs: 250,
      draining: false,
      tls: false,
    });
    expect([...m.info.versions.entries()]).toEqual([
      ['mlp/1', { model: 'mlp', version: '1', backend: 'gpu' }],
    ]);
    const tls = decodePodMessage(
      'register',
      'switchyard.pod.pod-a.register',
      registration('pod-a', { labels: { 'security.switchyard.dev/tlsMode': 'mtls' } }),
    );
    expect(tls.kind === 'register' && tls.info.tls).toBe(true);
  });

  it('carries the HTTP port for REST clusters, and leaves out one the pod does not advertise', () => {
    const m = decodePodMessage('register', 'switchyard.pod.pod-a.register', registration('pod-a'));
    expect(m.kind === 'register' && m.info.httpPort).toBe(8000);
    const none = decodePodMessage(
      'register',
      'switchyard.pod.pod-a.register',
      registration('pod-a', { ports: create(PortsSchema, { http: 0, grpc: 8001 }) }),
    );
    expect(none.kind === 'register' && 'httpPort' in none.info).toBe(false);
    const bad = decodePodMessage(
      'register',
      'switchyard.pod.pod-a.register',
      registration('pod-a', { ports: create(PortsSchema, { http: 70_000, grpc: 8001 }) }),
    );
    expect(bad.kind === 'register' && 'httpPort' in bad.info).toBe(false);
  });

  it('rejects a message that speaks for another pod than its subject', () => {
    const call = () => decodePodMessage('register', 'switchyard.pod.pod-b.register', registration('pod-a'));
    expect(call).toThrow(EndpointIdentityError);
    expect(call).toThrow(/claims pod "pod-a", subject belongs to "pod-b"/);
    try {
      call();
    } catch (e) {
      expect((e as EndpointIdentityError).code).toBe('SY_ENDPOINT_IDENTITY_MISMATCH');
    }
  });

  it('rejects bodies that do not decode, and registrations without a place to send traffic', () => {
    expect(() =>
      decodePodMessage('register', 'switchyard.pod.a.register', new Uint8Array([0xff, 0xff, 0xff])),
    ).toThrow(EndpointMessageError);
    expect(() =>
      decodePodMessage('register', 'switchyard.pod.a.register', registration('a', { address: '' })),
    ).toThrow(/without an address/);
    expect(() =>
      decodePodMessage('register', 'switchyard.pod.a.register', registration('a', { ports: undefined })),
    ).toThrow(/gRPC port 0/);
    expect(() => decodePodMessage('register', 'switchyard.pods.announce', registration('a'))).toThrow(
      /not a register subject/,
    );
  });

  it('reads load, utilization and state from a heartbeat', () => {
    const window = create(LatencyWindowSchema, { requests: 40n, errorRate: 0.05, p50Ms: 3, p99Ms: 12 });
    const bytes = toBinary(
      HeartbeatSchema,
      create(HeartbeatSchema, {
        podId: 'a',
        sequence: 4n,
        registrationRevision: 3n,
        state: PodState.REFUSING,
        utilization: create(UtilizationSchema, { cpuPercent: 25, gpuPercent: 90, gpuSimulated: true }),
        models: [
          create(ModelLoadSchema, {
            model: 'mlp',
            version: '1',
            queueDepth: 7,
            window,
            intervalRequests: 9n,
            intervalErrors: 2n,
            latencyBucketCounts: [0n, 3n, 4n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n],
            mirrorCompared: 5n,
            mirrorAgreed: 4n,
            mirrorAbsDiffSum: 0.5,
          }),
        ],
      }),
    );
    const m = decodePodMessage('heartbeat', 'switchyard.pod.a.heartbeat', bytes);
    if (m.kind !== 'heartbeat') throw new Error('not a heartbeat');
    expect(m.info).toMatchObject({
      podId: 'a',
      sequence: 4n,
      revision: 3n,
      draining: true,
      cpu: 0.25,
      gpu: 0.9,
    });
    expect(m.info.loads.get('mlp/1')).toEqual({
      queueDepth: 7,
      inFlight: 0,
      p50Ms: 3,
      p99Ms: 12,
      errorRate: 0.05,
      requests: 40,
      interval: {
        requests: 9,
        errors: 2,
        latencyBuckets: [0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        mirrorCompared: 5,
        mirrorAgreed: 4,
        mirrorAbsDiffSum: 0.5,
      },
    });
  });

  describe('figures out of range', () => {
    const heartbeat = (extra: Record<string, unknown>, window: Record<string, unknown> = {}) =>
      toBinary(
        HeartbeatSchema,
        create(HeartbeatSchema, {
          podId: 'a',
          sequence: 4n,
          utilization: create(UtilizationSchema, { cpuPercent: 25 }),
          models: [
            create(ModelLoadSchema, {
              model: 'mlp',
              version: '1',
              window: create(LatencyWindowSchema, { requests: 40n, errorRate: 0.05, ...window }),
            }),
          ],
          ...extra,
        }),
      );
    const hb = (bytes: Uint8Array) => () =>
      decodePodMessage('heartbeat', 'switchyard.pod.a.heartbeat', bytes);
    const util = (u: Record<string, unknown>) => ({ utilization: create(UtilizationSchema, u) });

    it('rejects non-finite and out-of-range utilization, naming the field', () => {
      expect(hb(heartbeat(util({ cpuPercent: Number.NaN })))).toThrow(
        /utilization\.cpu_percent = NaN is not a number in 0\.\.100/,
      );
      expect(hb(heartbeat(util({ cpuPercent: 1e308 })))).toThrow(/cpu_percent = 1e\+308/);
      expect(hb(heartbeat(util({ cpuPercent: -500 })))).toThrow(/cpu_percent = -500/);
      expect(hb(heartbeat(util({ cpuPercent: 10, gpuPercent: Number.POSITIVE_INFINITY })))).toThrow(
        /utilization\.gpu_percent = Infinity/,
      );
      expect(hb(heartbeat(util({ cpuPercent: Number.NaN })))).toThrow(EndpointMessageError);
    });

    it('rejects a NaN or impossible figure in a model window', () => {
      expect(hb(heartbeat({}, { errorRate: Number.NaN }))).toThrow(/models\[0\]\.window\.error_rate = NaN/);
      expect(hb(heartbeat({}, { errorRate: 1.5 }))).toThrow(/error_rate = 1\.5/);
      expect(hb(heartbeat({}, { p99Ms: -1 }))).toThrow(/models\[0\]\.window\.p99_ms = -1/);
      expect(hb(heartbeat({}, { p50Ms: Number.NaN }))).toThrow(/p50_ms = NaN/);
      expect(hb(heartbeat({}, { errors: 50n }))).toThrow(/errors = 50 exceeds requests = 40/);
      expect(hb(heartbeat({ window: create(LatencyWindowSchema, { throughputRps: Number.NaN }) }))).toThrow(
        /^switchyard\.pod\.a\.heartbeat: window\.throughput_rps = NaN/,
      );
    });

    it('rejects interval counters that contradict each other or are not numbers', () => {
      const load = (over: Record<string, unknown>) =>
        toBinary(
          HeartbeatSchema,
          create(HeartbeatSchema, {
            podId: 'a',
            sequence: 4n,
            models: [create(ModelLoadSchema, { model: 'mlp', version: '1', intervalRequests: 10n, ...over })],
          }),
        );
      const buckets = (n: number, first = 0n) => [first, ...new Array<bigint>(n - 1).fill(0n)];
      expect(hb(load({ intervalErrors: 11n }))).toThrow(
        /models\[0\]\.interval_errors = 11 exceeds interval_requests = 10/,
      );
      expect(hb(load({ intervalRequests: 2n ** 60n }))).toThrow(
        /models\[0\]\.interval_requests = \d+ is above/,
      );
      expect(hb(load({ mirrorCompared: 3n, mirrorAgreed: 4n }))).toThrow(
        /mirror_agreed = 4 exceeds mirror_compared = 3/,
      );
      expect(hb(load({ mirrorAbsDiffSum: Number.NaN }))).toThrow(/models\[0\]\.mirror_abs_diff_sum = NaN/);
      expect(hb(load({ mirrorAbsDiffSum: -1 }))).toThrow(/mirror_abs_diff_sum = -1/);
      expect(hb(load({ latencyBucketCounts: buckets(5) }))).toThrow(/has 5 buckets, not 13/);
      expect(hb(load({ intervalErrors: 4n, latencyBucketCounts: buckets(13, 7n) }))).toThrow(
        /hold 7 requests, more than the 6 successes/,
      );
      expect(hb(load({ intervalErrors: 4n, latencyBucketCounts: buckets(13, 6n) }))).not.toThrow();
    });

    it('accepts the edges of every range', () => {
      expect(
        hb(heartbeat(util({ cpuPercent: 100, gpuPercent: 0 }), { errorRate: 1, p99Ms: 86_400_000 })),
      ).not.toThrow();
      expect(hb(heartbeat({ sequence: BigInt(Number.MAX_SAFE_INTEGER) }))).not.toThrow();
    });

    it('rejects a sequence beyond 2^53 - 1 on every kind of message', () => {
      const max = 2n ** 64n - 1n;
      expect(hb(heartbeat({ sequence: max }))).toThrow(/sequence = 18446744073709551615 is above/);
      expect(() =>
        decodePodMessage('register', 'switchyard.pod.a.register', registration('a', { sequence: max })),
      ).toThrow(/sequence = /);
      expect(() =>
        decodePodMessage(
          'drain',
          'switchyard.pod.a.drain',
          toBinary(DrainNoticeSchema, create(DrainNoticeSchema, { podId: 'a', sequence: max })),
        ),
      ).toThrow(/sequence = /);
      expect(() =>
        decodePodMessage(
          'deregister',
          'switchyard.pod.a.deregister',
          toBinary(DeregistrationSchema, create(DeregistrationSchema, { podId: 'a', sequence: 2n ** 53n })),
        ),
      ).toThrow(EndpointMessageError);
    });
  });
});
