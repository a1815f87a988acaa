// Managed pods as bare NATS clients: each publishes registrations and heartbeats per the contract
// (dataplane.proto) and records the PodAssignments it receives. For the placement runner's tests;
// real managed pods (`switchyard pod --managed`) load what they are assigned.
import { create, fromBinary } from '@bufbuild/protobuf';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { encodePodBody, podSubjects } from '../../kernel/contract/index.js';
import {
  ExecutionProvider,
  HeartbeatSchema,
  ModelState,
  type PodAssignments,
  PodAssignmentsSchema,
  PodRegistrationSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { NatsServer } from '../helpers/nats-server.js';

export interface FakePodSpec {
  readonly podId: string;
  readonly zone: string;
  readonly region?: string;
  readonly gpu?: boolean;
  readonly memoryLimitBytes?: bigint;
}

export class FakeManagedPod {
  readonly received: PodAssignments[] = [];
  /** Versions (`name:version`) it reports READY. */
  readonly ready = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0n;
  private revision = 1n;
  private readonly startedAt = BigInt(Date.now());

  private constructor(
    readonly spec: FakePodSpec,
    private readonly nc: NatsConnection,
  ) {}

  static async start(nats: NatsServer, spec: FakePodSpec, intervalMs = 200): Promise<FakeManagedPod> {
    const nc = await connect(nats.connectOptions());
    const pod = new FakeManagedPod(spec, nc);
    nc.subscribe(podSubjects(spec.podId).assign, {
      callback: (_e, m) => {
        pod.received.push(fromBinary(PodAssignmentsSchema, m.data));
      },
    });
    await nc.flush();
    pod.register();
    pod.timer = setInterval(() => pod.heartbeat(), intervalMs);
    return pod;
  }

  /** The versions of the latest assignment, as `name:version`, sorted. */
  get assigned(): string[] {
    const last = this.received.at(-1);
    return last ? last.versions.map((v) => `${v.model}:${v.version}`).sort() : [];
  }

  setReady(ref: string): void {
    this.ready.add(ref);
    this.revision++;
    this.register();
  }

  register(): void {
    const s = this.spec;
    const body = create(PodRegistrationSchema, {
      podId: s.podId,
      address: '127.0.0.1',
      ports: { grpc: 50051, http: 8080 },
      region: s.region ?? 'local',
      zone: s.zone,
      executionProvider: s.gpu ? ExecutionProvider.GPU : ExecutionProvider.CPU,
      startedAtMs: this.startedAt,
      revision: this.revision,
      sequence: ++this.seq,
      sentAtMs: BigInt(Date.now()),
      heartbeatIntervalMs: 200,
      managed: true,
      memoryLimitBytes: s.memoryLimitBytes ?? 1024n * 1024n * 1024n,
      models: [...this.ready].map((ref) => {
        const [model, version] = ref.split(':') as [string, string];
        return { model, version, state: ModelState.READY };
      }),
    });
    this.nc.publish(podSubjects(s.podId).register, encodePodBody('register', body));
  }

  private heartbeat(): void {
    const body = create(HeartbeatSchema, {
      podId: this.spec.podId,
      sequence: ++this.seq,
      sentAtMs: BigInt(Date.now()),
      registrationRevision: this.revision,
      intervalMs: 200,
      utilization: { cpuPercent: 10 },
      models: [...this.ready].map((ref) => {
        const [model, version] = ref.split(':') as [string, string];
        return { model, version, ready: true, memoryBytes: 50n * 1024n * 1024n };
      }),
    });
    this.nc.publish(podSubjects(this.spec.podId).heartbeat, encodePodBody('heartbeat', body));
  }

  /** Stops talking without a goodbye, as a SIGKILLed pod does. */
  async crash(): Promise<void> {
    clearInterval(this.timer);
    await this.nc.close();
  }
}
