import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
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
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
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
        models: [create(ModelLoadSchema, { model: 'mlp', version: '1', queueDepth: 7, window })],
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
    });
  });
});
