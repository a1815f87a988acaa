import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  DeregistrationSchema,
  DrainNoticeSchema,
  HeartbeatSchema,
  PodRegistrationSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { SwitchyardError } from '../errors/index.js';
import {
  ANNOUNCE_SUBJECT,
  allPods,
  decodeAnnounce,
  decodeAssignments,
  decodePodBody,
  encodeAnnounce,
  encodeAssignments,
  encodePodBody,
  listeningAddress,
  POD_MESSAGE_KINDS,
  POD_SERVER_LISTENER_TEMPLATE,
  PodIdError,
  podIdOf,
  podSubjects,
  podSubscribePermission,
  TLS_MODE_LABEL,
  XDS_POD_ROLE,
  XDS_ROLE_KEY,
} from './index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('pod contract: subjects', () => {
  it('gives a pod its four subjects, the mirror subject it listens on, and the permission that covers exactly them', () => {
    const s = podSubjects('pod-a_1');
    expect(s).toEqual({
      register: 'switchyard.pod.pod-a_1.register',
      heartbeat: 'switchyard.pod.pod-a_1.heartbeat',
      drain: 'switchyard.pod.pod-a_1.drain',
      deregister: 'switchyard.pod.pod-a_1.deregister',
      mirror: 'switchyard.pod.pod-a_1.mirror',
      assign: 'switchyard.pod.pod-a_1.assign',
      access: 'switchyard.pod.pod-a_1.access',
      publishPermission: 'switchyard.pod.pod-a_1.>',
      publishDenied: 'switchyard.pod.pod-a_1.assign',
      controlPlaneOnly: ['switchyard.pod.pod-a_1.assign', 'switchyard.pod.pod-a_1.access'],
    });
    for (const kind of POD_MESSAGE_KINDS) expect(podIdOf(s[kind])).toBe('pod-a_1');
    expect(allPods('heartbeat')).toBe('switchyard.pod.*.heartbeat');
  });

  it('names the four kinds a pod publishes, the announce subject and the subscriptions a pod user needs, as docs/ENDPOINTS.md writes them', () => {
    expect(POD_MESSAGE_KINDS).toEqual(['register', 'heartbeat', 'drain', 'deregister']);
    expect(ANNOUNCE_SUBJECT).toBe('switchyard.pods.announce');
    expect(podSubscribePermission('pod-a')).toEqual([
      'switchyard.pods.announce',
      'switchyard.pod.pod-a.mirror',
      'switchyard.pod.pod-a.access',
    ]);
    expect(() => podSubscribePermission('a.b')).toThrow(PodIdError);
    // Istio's label for a pod that accepts mTLS: a registration carries it as is.
    expect(TLS_MODE_LABEL).toBe('security.switchyard.dev/tlsMode');
  });

  it('takes a pod id of 1 to 128 letters, digits, "_" and "-"', () => {
    for (const good of ['a', 'A-z_09', 'x'.repeat(128)]) expect(() => podSubjects(good), good).not.toThrow();
  });

  it('refuses a pod id that is not one subject token, with a named error', () => {
    for (const bad of ['', 'a.b', 'a b', 'a*', 'a>', 'x'.repeat(129)]) {
      let caught: unknown;
      try {
        podSubjects(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toBeInstanceOf(PodIdError);
      expect((caught as SwitchyardError).code).toBe('SY_POD_ID_INVALID');
      expect((caught as Error).message).toContain(JSON.stringify(bad));
    }
  });

  it('reads no pod id out of subjects that are not a pod subject', () => {
    for (const s of [
      'switchyard.pods.announce',
      'switchyard.pod.a',
      'switchyard.pod.a.b.c',
      'other.pod.a.register',
    ])
      expect(podIdOf(s), s).toBeUndefined();
  });
});

describe('pod contract: bodies', () => {
  it('keeps the wire format of released pods: protobuf binary of dataplane.proto', () => {
    // Heartbeat{pod_id: "p", sequence: 1}: field 1 (LEN) "p", field 2 (VARINT) 1.
    const hb = create(HeartbeatSchema, { podId: 'p', sequence: 1n });
    expect(hex(encodePodBody('heartbeat', hb))).toBe('0a01701001');
    // AnnounceRequest{region: "eu"}: field 1 (LEN) "eu".
    expect(hex(encodeAnnounce({ region: 'eu' }))).toBe('0a026575');
    expect(decodeAnnounce(Uint8Array.from([0x0a, 0x02, 0x65, 0x75])).region).toBe('eu');
  });

  it('round-trips each kind through the schema its subject carries', () => {
    const bodies = {
      register: create(PodRegistrationSchema, {
        podId: 'a',
        address: '10.0.0.1',
        sequence: 3n,
        revision: 2n,
      }),
      heartbeat: create(HeartbeatSchema, {
        podId: 'a',
        sequence: 4n,
        utilization: { cpuPercent: 42.5, gpuPercent: 7, rssBytes: 1024n },
      }),
      drain: create(DrainNoticeSchema, { podId: 'a', sequence: 5n, graceMs: 5000, reason: 'SIGTERM' }),
      deregister: create(DeregistrationSchema, { podId: 'a', sequence: 6n, served: 99n }),
    } as const;
    expect(decodePodBody('register', encodePodBody('register', bodies.register))).toEqual(bodies.register);
    expect(decodePodBody('heartbeat', encodePodBody('heartbeat', bodies.heartbeat))).toEqual(
      bodies.heartbeat,
    );
    expect(decodePodBody('drain', encodePodBody('drain', bodies.drain))).toEqual(bodies.drain);
    expect(decodePodBody('deregister', encodePodBody('deregister', bodies.deregister))).toEqual(
      bodies.deregister,
    );
    expect(
      decodePodBody('heartbeat', encodePodBody('heartbeat', bodies.heartbeat)).utilization?.gpuPercent,
    ).toBe(7);
  });

  it('throws on bytes that are not a message', () => {
    // A LEN field whose length runs past the end of the buffer.
    expect(() => decodePodBody('heartbeat', Uint8Array.from([0x0a, 0x05, 0x70]))).toThrow();
  });
});

describe('pod contract: assignments', () => {
  it('round-trips PodAssignments with every field, in the wire layout of dataplane.proto', () => {
    const init = {
      podId: 'pod-a',
      revision: 7n,
      sentAtMs: 1_700_000_000_000n,
      versions: [
        {
          model: 'fraud',
          version: '2',
          digest: `sha256:${'ab'.repeat(32)}`,
          sizeBytes: 104_857_600n,
          objectName: 'fraud/2',
          sealedDataKey: '{"format":"switchyard-encrypted-key"}',
          regions: ['eu-west', 'eu-central'],
          configYaml: 'max_batch_size: 8\n',
        },
      ],
    };
    const bytes = encodeAssignments(init);
    // Field 1 (pod_id, LEN) first: 0x0a, length 5, "pod-a".
    expect(hex(bytes.subarray(0, 7))).toBe('0a05706f642d61');
    const back = decodeAssignments(bytes);
    expect(back.podId).toBe('pod-a');
    expect(back.revision).toBe(7n);
    expect(back.versions[0]).toMatchObject(init.versions[0]!);
    expect(() => decodeAssignments(Uint8Array.from([0x0a, 0x05, 0x70]))).toThrow();
  });
});

describe('pod contract: xDS-managed server', () => {
  it('puts a pod in the pods’ group by its node metadata, and names its server Listener as gRFC A36 asks', () => {
    expect({ [XDS_ROLE_KEY]: XDS_POD_ROLE }).toEqual({ 'switchyard.role': 'pod' });
    expect(POD_SERVER_LISTENER_TEMPLATE).toBe('grpc/server?xds.resource.listening_address=%s');
    expect(listeningAddress('10.0.1.7', 8001)).toBe('10.0.1.7:8001');
    expect(listeningAddress('::1', 8001)).toBe('[::1]:8001');
    expect(listeningAddress('fd00::7', 9)).toBe('[fd00::7]:9');
  });
});
