// SIGTERM to a real `switchyard pod` process under load: it publishes DRAINING, turns its
// health NOT_SERVING, keeps admitting for the grace period, then refuses with UNAVAILABLE,
// answers everything it admitted, deregisters and exits 0. The count of answered requests
// in its goodbye equals what the clients received: nothing admitted was dropped.
import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import { encodeAccessRules } from '../../kernel/contract/index.js';
import { podSubjects, podSubscribePermission } from '../../kernel/contract/subjects.js';
import {
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../protos/gen/grpc/health/v1/health_pb.js';
import { DrainPhase } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freePorts } from '../helpers/ports.js';
import { f32Bytes, inputRows, KServeClient, modelRepoCopy, waitFor } from './harness.js';
import { PodListener } from './pod-listener.js';

const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));
const POD = 'pod-drain';
const GRACE_MS = 1000;

interface Outcome {
  readonly ok: boolean;
  readonly startedAt: number;
  /** 'draining' (refused on purpose), 'connection' (nobody listening), 'reset', or anything else. */
  readonly failure?: string;
}

function grpcFailure(err: grpc.ServiceError): string {
  if (err.code === grpc.status.UNAVAILABLE && err.metadata?.get('x-switchyard-error')[0] === 'SY_DRAINING')
    return 'draining';
  if (
    err.code === grpc.status.UNAVAILABLE &&
    /No connection established|ECONNREFUSED|Connection dropped/.test(err.details)
  )
    return 'connection';
  return `${grpc.status[err.code]}: ${err.details}`;
}

function postJson(port: number, path: string, body: string): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { code?: string }).code;
        } catch {}
        resolve({ status: res.statusCode ?? 0, ...(code ? { code } : {}) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('SIGTERM drain of a pod process', () => {
  let nats: NatsServer;
  let listener: PodListener;
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let child: ChildProcess;
  let stderr = '';
  let ports: { http: number; grpc: number; metrics: number };

  beforeAll(async () => {
    nats = await NatsServer.start();
    const creds = await nats.addUser({
      user: POD,
      publish: [podSubjects(POD).publishPermission],
      subscribe: podSubscribePermission(POD),
    });
    listener = await PodListener.start(nats.connectOptions());
    repo = await modelRepoCopy(['mlp']);
    const [http, grpcPort, metrics] = await freePorts(3);
    ports = { http: http!, grpc: grpcPort!, metrics: metrics! };
    // biome-ignore format: one flag per line reads better
    child = spawn(process.execPath, [
      BIN, 'pod',
      '--model-repo', repo.dir,
      '--pod-id', POD,
      '--nats', nats.url,
      '--nats-user', creds.user,
      '--nats-password', creds.pass,
      '--http-port', String(ports.http),
      '--grpc-port', String(ports.grpc),
      '--metrics-port', String(ports.metrics),
      '--heartbeat-interval', '200ms',
      '--drain-grace', `${GRACE_MS}ms`,
      '--inject-delay-ms', '25',
      '--intra-op-threads', '1',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      stderr += c;
    });
    await listener.next('register', (r) => r.podId === POD, 0, 60_000);
    // Playing the control plane: no access rules (open); until they arrive a pod started with
    // --nats admits no inference (docs/ACCESS.md, "At the pods").
    listener.nc.publish(podSubjects(POD).access, encodeAccessRules({ version: 'open', models: {} }));
    await waitFor('the access rules', () => stderr.includes('access: rules version open'));
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await listener?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('drains without dropping an admitted request, deregisters and exits 0', async () => {
    const client = new KServeClient(ports.grpc);
    const health: Serving[] = [];
    const watch = (
      client.health as unknown as Record<
        string,
        (r: unknown) => grpc.ClientReadableStream<HealthCheckResponse>
      >
    ).watch!.call(client.health, create(HealthCheckRequestSchema, { service: '' }));
    watch.on('data', (m: HealthCheckResponse) => health.push(m.status));
    watch.on('error', () => undefined);
    await waitFor('health SERVING', () => health.includes(Serving.SERVING));

    const outcomes: Outcome[] = [];
    let stop = false;
    const req = {
      modelName: 'mlp',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
      rawInputContents: [f32Bytes(inputRows(1, MLP.inputs, 6))],
    };
    const grpcLoop = async () => {
      while (!stop) {
        const startedAt = Date.now();
        try {
          await client.infer(req);
          outcomes.push({ ok: true, startedAt });
        } catch (err) {
          outcomes.push({ ok: false, startedAt, failure: grpcFailure(err as grpc.ServiceError) });
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const body = JSON.stringify({
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [1, MLP.inputs],
          data: Array.from(inputRows(1, MLP.inputs, 7)),
        },
      ],
    });
    const httpLoop = async () => {
      while (!stop) {
        const startedAt = Date.now();
        try {
          const res = await postJson(ports.http, '/v2/models/mlp/infer', body);
          if (res.status === 200) outcomes.push({ ok: true, startedAt });
          else
            outcomes.push({
              ok: false,
              startedAt,
              failure: res.code === 'SY_DRAINING' ? 'draining' : `HTTP ${res.status} ${res.code}`,
            });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // ECONNRESET: a connection still in the listen backlog when the pod closed its
          // listener. The pod never read it; acceptable only once it is refusing anyway.
          const failure =
            code === 'ECONNREFUSED' ? 'connection' : code === 'ECONNRESET' ? 'reset' : String(err);
          outcomes.push({ ok: false, startedAt, failure });
        }
        if (outcomes.at(-1)?.ok === false) await new Promise((r) => setTimeout(r, 20));
      }
    };
    const loops = [...Array.from({ length: 6 }, grpcLoop), httpLoop(), httpLoop()];
    await new Promise((r) => setTimeout(r, 400));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const sigtermAt = Date.now();
    child.kill('SIGTERM');

    const draining = await listener.next('drain', (d) => d.podId === POD && d.phase === DrainPhase.DRAINING);
    expect(draining.graceMs).toBe(GRACE_MS);
    await waitFor('health NOT_SERVING', () => health.includes(Serving.NOT_SERVING));
    const refusing = await listener.next('drain', (d) => d.podId === POD && d.phase === DrainPhase.REFUSING);
    const refusingAt = Number(refusing.sentAtMs);
    expect(refusingAt - sigtermAt).toBeGreaterThanOrEqual(GRACE_MS - 50);
    const code = await exit;
    stop = true;
    await Promise.all(loops);
    client.close();

    expect(code).toBe(0);
    const drained = await listener.next('drain', (d) => d.podId === POD && d.phase === DrainPhase.DRAINED);
    expect(drained.inFlight).toBe(0);
    const bye = await listener.next('deregister', (d) => d.podId === POD);
    expect(bye.reason).toBe('drained after SIGTERM');
    const successes = outcomes.filter((o) => o.ok);
    // Every request the pod answered reached its client, and the pod says it answered them all.
    expect(Number(bye.served)).toBe(successes.length);
    // The grace period admitted requests: some started after SIGTERM still succeeded.
    expect(successes.filter((o) => o.startedAt > sigtermAt + 100).length).toBeGreaterThan(0);
    // Failures are refusals (UNAVAILABLE / 503 SY_DRAINING) or nobody listening after exit.
    const failures = outcomes.filter((o) => !o.ok);
    const unexpected = failures.filter(
      (o) =>
        o.failure !== 'draining' &&
        o.failure !== 'connection' &&
        !(o.failure === 'reset' && o.startedAt >= refusingAt),
    );
    expect(unexpected).toEqual([]);
    expect(failures.some((o) => o.failure === 'draining')).toBe(true);
    // Nothing was refused before the grace period ended.
    const early = failures.filter(
      (o) => o.failure === 'draining' && o.startedAt < sigtermAt + GRACE_MS - 200,
    );
    expect(early).toEqual([]);
    expect(stderr).toMatch(/SIGTERM: draining/);
    expect(stderr).toMatch(/drain: done in \d+ ms; deregistered/);
  });
});
