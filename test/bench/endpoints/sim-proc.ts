// Benchmark child: N simulated pods on one NATS connection. Each registers (and again on
// announce) and sends a heartbeat every second, the pods' beats spread evenly over the second.
// Their load drifts: 2 % of them are slow at any time and the slow set moves every 5 s, so the
// tuner has weights to change and the coalescer has bursts to absorb.
import { create, toBinary } from '@bufbuild/protobuf';
import { connect } from '@nats-io/transport-node';
import { ANNOUNCE_SUBJECT, podSubjects } from '../../../kernel/contract/subjects.js';
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
} from '../../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';

export interface SimStart {
  readonly cmd: 'start';
  readonly url: string;
  readonly user: string;
  readonly pass: string;
  readonly pods: number;
  readonly models: number;
}

const INTERVAL_MS = 1000;
const SLOW_EVERY = 50;
const SHIFT_MS = 5000;

export function modelName(i: number): string {
  return `m${String(i).padStart(3, '0')}`;
}

function podId(i: number): string {
  return `sim-${String(i).padStart(5, '0')}`;
}

async function run(opts: SimStart): Promise<void> {
  const nc = await connect({ servers: opts.url, user: opts.user, pass: opts.pass, name: 'endpoint-sim' });
  const subjects = Array.from({ length: opts.pods }, (_, i) => podSubjects(podId(i)));
  const seq = new Array<bigint>(opts.pods).fill(0n);
  const started = Date.now();
  let heartbeats = 0;
  let registrations = 0;

  const register = (i: number) => {
    seq[i]! += 1n;
    const reg = create(PodRegistrationSchema, {
      podId: podId(i),
      address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ports: create(PortsSchema, { http: 8000, grpc: 8001, metrics: 8002 }),
      models: [
        create(ModelVersionSchema, {
          model: modelName(i % opts.models),
          version: '1',
          state: ModelState.READY,
          executionProvider: ExecutionProvider.CPU,
          executionProviderName: 'cpu',
        }),
      ],
      executionProvider: ExecutionProvider.CPU,
      region: 'sim',
      zone: `sim-${i % 3}`,
      startedAtMs: BigInt(started),
      revision: 1n,
      sequence: seq[i]!,
      sentAtMs: BigInt(Date.now()),
      state: PodState.SERVING,
      heartbeatIntervalMs: INTERVAL_MS,
    });
    nc.publish(subjects[i]!.register, toBinary(PodRegistrationSchema, reg));
    registrations++;
  };

  const beat = (i: number, now: number) => {
    seq[i]! += 1n;
    const shift = Math.floor((now - started) / SHIFT_MS);
    const slow = (i + shift) % SLOW_EVERY === 0;
    const jitter = 0.95 + 0.1 * Math.random();
    const p50 = (slow ? 40 : 10) * jitter;
    const window = create(LatencyWindowSchema, {
      windowMs: 10_000,
      requests: 200n,
      errors: 0n,
      errorRate: 0,
      p50Ms: p50,
      p99Ms: 2 * p50,
      throughputRps: 20,
    });
    const hb = create(HeartbeatSchema, {
      podId: podId(i),
      sequence: seq[i]!,
      sentAtMs: BigInt(now),
      state: PodState.SERVING,
      registrationRevision: 1n,
      utilization: create(UtilizationSchema, { cpuPercent: 20 + 20 * Math.random(), rssBytes: 200n << 20n }),
      queueDepth: slow ? 3 : 0,
      inFlight: 1,
      window,
      models: [
        create(ModelLoadSchema, {
          model: modelName(i % opts.models),
          version: '1',
          ready: true,
          queueDepth: slow ? 3 : 0,
          inFlight: 1,
          window,
        }),
      ],
      intervalMs: INTERVAL_MS,
    });
    nc.publish(subjects[i]!.heartbeat, toBinary(HeartbeatSchema, hb));
    heartbeats++;
  };

  nc.subscribe(ANNOUNCE_SUBJECT, {
    callback: () => {
      for (let i = 0; i < opts.pods; i++) register(i);
    },
  });
  for (let i = 0; i < opts.pods; i++) register(i);
  await nc.flush();

  // Each pod beats once per interval, at its own offset within it.
  let next = 0;
  const t0 = performance.now();
  const tick = () => {
    const due = Math.floor(((performance.now() - t0) / INTERVAL_MS) * opts.pods);
    const now = Date.now();
    for (; next < due; next++) beat(next % opts.pods, now);
  };
  setInterval(tick, 10);
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') process.send!({ heartbeats, registrations });
  });
  process.send!({ ready: true, registrations });
}

process.once('message', (m: SimStart) => {
  void run(m);
});
