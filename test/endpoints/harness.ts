// What the endpoint suites share: a real nats-server whose pod users may publish only their own
// subjects, a control plane discovering endpoints over it, real pods (in this process through
// the data-plane harness, or as `switchyard pod` processes) serving the `affine` model, and the
// ModelRoute that routes to whatever they register.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DiscoveryInput } from '../../control-plane/endpoints/index.js';
import type { Pod, PodOptions } from '../../data-plane/pod.js';
import { podSubjects, podSubscribePermission } from '../../kernel/contract/subjects.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';
import { type ControlPlaneFixture, startControlPlane } from '../helpers/control-plane.js';
import { NatsServer, type NatsUserSpec } from '../helpers/nats-server.js';
import { freePorts } from '../helpers/ports.js';

export const MODEL = 'affine';
export const CLUSTER = 'affine/1';
export const HEARTBEAT_MS = 200;
const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));

/** The affine ModelRoute: version "1" with discovered endpoints unless `versions` says else. */
export function routeYaml(extra = '', versions = '  versions: [{ name: "1" }]'): string {
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: affine, namespace: default }
spec:
  model: affine
  mtls: DISABLE
${versions}
${extra}`;
}

/** A pod's NATS user: publish on its own subjects only, subscribe to announces, mirror and access. */
export function podUser(podId: string): NatsUserSpec {
  return {
    user: podId,
    // What only the control plane may publish (assignments, access rules) is denied.
    publish: {
      allow: [podSubjects(podId).publishPermission],
      deny: [...podSubjects(podId).controlPlaneOnly],
    },
    subscribe: podSubscribePermission(podId),
  };
}

export function startNats(podIds: readonly string[]): Promise<NatsServer> {
  return NatsServer.start({ users: podIds.map(podUser) });
}

export function startDiscoveryPlane(
  nats: NatsServer,
  discovery: DiscoveryInput = {},
  policy = routeYaml(),
  extra: Parameters<typeof startControlPlane>[1] = {},
): Promise<ControlPlaneFixture> {
  return startControlPlane(
    { 'affine.yaml': policy },
    {
      nats: { servers: nats.url, ...nats.credentials('admin'), name: 'switchyard-test-control-plane' },
      discovery,
      ...extra,
    },
  );
}

export type ModelRepo = Awaited<ReturnType<typeof modelRepoCopy>>;

export function affineRepo(): Promise<ModelRepo> {
  return modelRepoCopy(['affine']);
}

/** A pod in this process, registered with its own NATS credentials. */
export function startPod(
  nats: NatsServer,
  repo: ModelRepo,
  podId: string,
  overrides: Partial<PodOptions> = {},
): Promise<Pod> {
  const { user, pass } = nats.credentials(podId);
  return startTestPod(repo.dir, {
    podId,
    nats: { url: nats.url, user, pass },
    region: 'local',
    zone: 'local-a',
    heartbeatIntervalMs: HEARTBEAT_MS,
    statsWindowMs: 2000,
    ...overrides,
  });
}

/** `switchyard pod` as its own process (to be SIGKILLed); resolves with its gRPC port. */
export async function spawnPod(
  nats: NatsServer,
  repo: ModelRepo,
  podId: string,
  extra: readonly string[] = [],
): Promise<{ child: ChildProcess; grpcPort: number; stderr: () => string }> {
  const [http, grpcPort, metrics] = await freePorts(3);
  const { user, pass } = nats.credentials(podId);
  let stderr = '';
  // biome-ignore format: one flag per line reads better
  const child = spawn(process.execPath, [
    BIN, 'pod',
    '--model-repo', repo.dir,
    '--pod-id', podId,
    '--nats', nats.url,
    '--nats-user', user,
    '--nats-password', pass,
    '--http-port', String(http),
    '--grpc-port', String(grpcPort),
    '--metrics-port', String(metrics),
    '--region', 'local',
    '--zone', 'local-a',
    '--heartbeat-interval', `${HEARTBEAT_MS}ms`,
    '--stats-window', '2s',
    '--intra-op-threads', '1',
    ...extra,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    stderr += c;
  });
  return { child, grpcPort: grpcPort!, stderr: () => stderr };
}

/** Successful responses per pod since `before` (pods count what they served). */
export function shares(pods: readonly Pod[], before: readonly number[]): number[] {
  const served = pods.map((p, i) => p.stats.served - before[i]!);
  const total = served.reduce((a, b) => a + b, 0);
  return served.map((n) => (total ? n / total : 0));
}

export function servedCounts(pods: readonly Pod[]): number[] {
  return pods.map((p) => p.stats.served);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
