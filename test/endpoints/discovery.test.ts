// Endpoint discovery end to end: real nats-server with per-pod credentials, real pods, the
// control plane's EDS read over ADS and used by a grpc-js-xds client; the operators' view; a
// rogue publisher; a drain; a control-plane restart; a NATS server without authentication.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../control-plane/pipeline/control-plane.js';
import type { EndpointView } from '../../control-plane/pipeline/endpoint-view.js';
import type { Pod } from '../../data-plane/pod.js';
import { podSubjects } from '../../kernel/contract/subjects.js';
import { createLogger } from '../../kernel/log/index.js';
import {
  ModelState,
  ModelVersionSchema,
  PodRegistrationSchema,
  PortsSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { runCli } from '../helpers/cli.js';
import { type ControlPlaneFixture, waitFor } from '../helpers/control-plane.js';
import { type NatsServer, natsServerBinary } from '../helpers/nats-server.js';
import { freePort } from '../helpers/ports.js';
import { addressesOf, EdsWatcher } from './eds-watch.js';
import {
  affineRepo,
  CLUSTER,
  HEARTBEAT_MS,
  MODEL,
  type ModelRepo,
  routeYaml,
  startDiscoveryPlane,
  startNats,
  startPod,
} from './harness.js';
import { affineRequest, XdsInferenceClient } from './load.js';

const FLAVOR_GROUPS = ['envoy', 'grpc'] as const;

describe('endpoint discovery over NATS', () => {
  let nats: NatsServer;
  let repo: ModelRepo;
  let fx: ControlPlaneFixture;
  let cp: ControlPlane;
  const pods: Pod[] = [];
  let eds: EdsWatcher;
  const addr = (p: Pod) => `127.0.0.1:${p.ports.grpc}`;

  beforeAll(async () => {
    nats = await startNats(['pod-a', 'pod-b', 'pod-c', 'pod-r']);
    repo = await affineRepo();
    // In-process pods all report this test process's CPU, which says nothing about any one of
    // them: utilization is left out of the weights here (knee at 100 %), so idle means 100.
    fx = await startDiscoveryPlane(nats, { tuner: { utilizationKnee: 1 } });
    cp = fx.cp;
    pods.push(await startPod(nats, repo, 'pod-a'), await startPod(nats, repo, 'pod-b'));
    eds = new EdsWatcher(fx.xdsAddress, CLUSTER);
  });

  afterAll(async () => {
    eds?.close();
    for (const p of pods) await p.close();
    await cp?.stop();
    await fx?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('turns registrations into weighted EDS endpoints that grpc-js-xds routes to', async () => {
    const u = await eds.waitFor('both pods', (x) => addressesOf(x).length === 2);
    expect(addressesOf(u)).toEqual(pods.map(addr).sort());
    // One locality per pod, named after it, carrying the weight: what gRPC honours.
    expect(u.endpoints.map((e) => [e.subZone, e.weight, e.priority]).sort()).toEqual([
      ['pod-a', 100, 0],
      ['pod-b', 100, 0],
    ]);
    const client = new XdsInferenceClient(fx.xdsAddress, MODEL, 'discovery-client');
    // The first call resolves the channel; every locality then connects (in a moment).
    expect(await client.infer(affineRequest())).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    const before = pods.map((p) => p.stats.served);
    const codes: (number | null)[] = [];
    for (let i = 0; i < 10; i++)
      codes.push(...(await Promise.all(Array.from({ length: 4 }, () => client.infer(affineRequest())))));
    client.close();
    expect(codes.filter((c) => c !== null)).toEqual([]);
    const served = pods.map((p, i) => p.stats.served - before[i]!);
    expect(served.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.min(...served)).toBeGreaterThan(0);
  });

  it('shows each endpoint with state, utilization, queue, p99 and weight in the API and the CLI', async () => {
    // The heartbeat after the traffic above carries a p99, and once that traffic has drained, an
    // empty queue (a heartbeat sent while the last calls were still queued reports them).
    await waitFor(
      async () => {
        const res = await fetch(`${fx.adminUrl}/api/v1/endpoints`);
        const { endpoints } = (await res.json()) as { endpoints: EndpointView[] };
        return endpoints.length === 2 && endpoints.every((e) => (e.p99Ms ?? 0) > 0 && e.queue === 0);
      },
      10_000,
      'idle endpoints with figures',
    );
    const res = await fetch(`${fx.adminUrl}/api/v1/endpoints`);
    const { endpoints } = (await res.json()) as { endpoints: EndpointView[] };
    expect(endpoints.map((e) => e.podId).sort()).toEqual(['pod-a', 'pod-b']);
    for (const e of endpoints) {
      expect(e).toMatchObject({ model: MODEL, version: '1', source: 'discovered', state: 'HEALTHY' });
      expect(e).toMatchObject({ backend: 'cpu', region: 'local', zone: 'local-a', health: 'HEALTHY' });
      expect(e.utilization).toBeGreaterThanOrEqual(0);
      expect(e.queue).toBe(0);
      expect(e.effectiveWeight).toBeGreaterThanOrEqual(1);
    }
    const cli = await runCli(['endpoints', '--server', fx.adminUrl]);
    expect(cli.code, cli.stderr).toBe(0);
    const lines = cli.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /MODEL\s+VERSION\s+SPLIT\s+POD\s+ADDRESS\s+BACKEND\s+REGION\s+STATE\s+UTIL\s+QUEUE\s+P99 MS\s+LB-WEIGHT/,
    );
    for (const [id, p] of [
      ['pod-a', pods[0]!],
      ['pod-b', pods[1]!],
    ] as const)
      expect(cli.stdout).toMatch(
        new RegExp(`affine\\s+1\\s+100%\\s+${id}\\s+${addr(p)}\\s+cpu\\s+local\\s+HEALTHY`),
      );
  });

  it('rejects registrations from the wrong credentials: NATS refuses the subject, the control plane the identity', async () => {
    const rogue = await connect({ servers: nats.url, ...nats.credentials('pod-r') });
    const violations: string[] = [];
    void (async () => {
      for await (const s of rogue.status()) if (s.type === 'error') violations.push(String(s.error));
    })();
    const forged = (podId: string) =>
      toBinary(
        PodRegistrationSchema,
        create(PodRegistrationSchema, {
          podId,
          address: '10.66.6.6',
          ports: create(PortsSchema, { grpc: 6666 }),
          models: [create(ModelVersionSchema, { model: MODEL, version: '1', state: ModelState.READY })],
          revision: 99n,
          sequence: 1_000_000n,
        }),
      );
    const rejectedBefore = await rejectedCount(fx.adminUrl);
    // pod-r's credentials may not publish on pod-a's subjects: the server drops it.
    rogue.publish(podSubjects('pod-a').register, forged('pod-a'));
    // On its own subject, pod-r claims to be pod-a: the control plane rejects and counts it.
    rogue.publish(podSubjects('pod-r').register, forged('pod-a'));
    await rogue.flush();
    await waitFor(() => violations.some((v) => /Permissions Violation/i.test(v)), 5000, 'a violation');
    await waitFor(
      async () => (await rejectedCount(fx.adminUrl)) === rejectedBefore + 1,
      5000,
      'the rejection',
    );
    await new Promise((r) => setTimeout(r, 300));
    await rogue.close();
    expect(addressesOf(eds.latest)).toEqual(pods.map(addr).sort());
    expect(cp.discovery!.table.has('pod-r')).toBe(false);
    expect(JSON.stringify([...cp.discovery!.routingTable().values()])).not.toContain('10.66.6.6');
  });

  it('keeps a draining pod in EDS as DRAINING, then drops it when it deregisters', async () => {
    const c = await startPod(nats, repo, 'pod-c', { drain: { graceMs: 1500, timeoutMs: 5000 } });
    await eds.waitFor('pod-c', (x) => addressesOf(x).includes(addr(c)));
    const draining = c.drain('test');
    await eds.waitFor('pod-c draining', (x) => addressesOf(x, 'DRAINING').includes(addr(c)));
    expect(addressesOf(eds.latest)).toEqual(pods.map(addr).sort());
    await draining;
    await eds.waitFor('pod-c gone', (x) => !x.endpoints.some((e) => `${e.address}:${e.port}` === addr(c)));
    await c.close();
  });

  it('after a restart, rebuilds the table from an announce before its first snapshot and publishes identical versions', async () => {
    // Idle: every weight back at full, the state a fresh control plane also starts from.
    await eds.waitFor(
      'idle weights',
      (x) =>
        addressesOf(x).length === 2 && x.endpoints.length === 2 && x.endpoints.every((e) => e.weight === 100),
    );
    await new Promise((r) => setTimeout(r, 300));
    const before = Object.fromEntries(FLAVOR_GROUPS.map((g) => [g, cp.cache.get(g)!.version]));
    await cp.stop();
    const next = new ControlPlane({
      discovery: { tuner: { utilizationKnee: 1 } },
      policyDir: fx.dir,
      nats: { servers: nats.url, ...nats.credentials('admin'), name: 'switchyard-test-restarted' },
      host: '127.0.0.1',
      xdsPort: 0,
      adminPort: 0,
      debounceQuietMs: 50,
      debounceMaxMs: 1000,
    });
    cp = next;
    const startedAt = performance.now();
    await next.start();
    // start() resolves once the first snapshot is published, and it waits for the pods'
    // answers to its announce first: the table is whole before anything is served, however
    // slowly a loaded machine gets there. The time is a figure, not a verdict.
    const rebuildMs = performance.now() - startedAt;
    expect(next.discovery!.table.size).toBe(2);
    const metrics = await next.metrics.registry.metrics();
    expect(metrics).toMatch(/switchyard_endpoint_announces_total\{reason="start"\} 1\b/);
    expect(
      Number(/switchyard_endpoint_messages_total\{kind="register"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(2);
    console.log(
      `restart: started with the table rebuilt in ${rebuildMs.toFixed(0)} ms (heartbeat interval ${HEARTBEAT_MS} ms)`,
    );
    const first = Object.fromEntries(FLAVOR_GROUPS.map((g) => [g, next.cache.get(g)!.version]));
    expect(first).toEqual(before);
    await new Promise((r) => setTimeout(r, 5 * HEARTBEAT_MS));
    expect(Object.fromEntries(FLAVOR_GROUPS.map((g) => [g, next.cache.get(g)!.version]))).toEqual(before);
  });
});

async function rejectedCount(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m =
    /switchyard_endpoint_messages_rejected_total\{kind="register",reason="SY_ENDPOINT_IDENTITY_MISMATCH"\} (\d+)/.exec(
      text,
    );
  return m ? Number(m[1]) : 0;
}

describe('endpoint discovery against a NATS server without authentication', () => {
  let server: ChildProcess;
  let dir: string;
  let cp: ControlPlane;
  let pod: Pod;
  let repo: ModelRepo;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-nats-noauth-'));
    const port = await freePort();
    // Local development: no users at all (what the helper never does, on purpose).
    server = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
      stdio: 'ignore',
    });
    const url = `nats://127.0.0.1:${port}`;
    await waitFor(
      async () =>
        connect({ servers: url, timeout: 500 }).then(
          (nc: NatsConnection) => nc.close().then(() => true),
          () => false,
        ),
      20_000,
      'nats-server',
    );
    repo = await affineRepo();
    cp = new ControlPlane({
      policyDir: await writePolicy(dir),
      nats: { servers: url, name: 'switchyard-test-noauth' },
      host: '127.0.0.1',
      xdsPort: 0,
      adminPort: 0,
      debounceQuietMs: 50,
      debounceMaxMs: 1000,
      log: createLogger('cp', { level: 'warn', write: (l) => lines.push(l) }),
    });
    await cp.start();
    const { startTestPod } = await import('../dataplane/harness.js');
    pod = await startTestPod(repo.dir, {
      podId: 'dev-pod',
      nats: { url },
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
  });

  afterAll(async () => {
    await pod?.close();
    await cp?.stop();
    server?.kill('SIGKILL');
    await repo?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('still discovers endpoints, and warns that identities prove nothing', async () => {
    await waitFor(
      () => (cp.discovery!.routingTable().get(CLUSTER) ?? []).some((e) => e.port === pod.ports.grpc),
      10_000,
      'the pod in the table',
    );
    const records = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(records.some((r) => r.level === 'warn' && /NATS asks for no authentication/.test(r.msg))).toBe(
      true,
    );
  });
});

async function writePolicy(base: string): Promise<string> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const policyDir = join(base, 'policies');
  await mkdir(policyDir, { recursive: true });
  await writeFile(join(policyDir, 'affine.yaml'), routeYaml());
  return policyDir;
}
