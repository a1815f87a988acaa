// What the rollout suites and benchmark share: a real nats-server, control plane(s) with a
// policy store, real pods serving the `affine` model as version "1" (stable) and "2" (the
// candidate: the same model under another version, so only injected faults tell them apart),
// and real grpc-js-xds clients sending closed-loop traffic routed by the control plane.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallContext } from '../../control-plane/api/policy-service.js';
import type { Lease } from '../../control-plane/lease/index.js';
import { openReplicaState } from '../../control-plane/pipeline/replica-state.js';
import type { RolloutView } from '../../control-plane/rollout/rollout-view.js';
import type { Pod } from '../../data-plane/pod.js';
import { createLogger } from '../../kernel/log/index.js';
import { modelRepoCopy } from '../dataplane/harness.js';
import { affineRepo, type ModelRepo, startNats, startPod } from '../endpoints/harness.js';
import { LoadGenerator, XdsInferenceClient } from '../endpoints/load.js';
import { type ControlPlaneFixture, startControlPlane } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';

export const OPERATOR: CallContext = {
  principal: { id: 'test:operator', kind: 'apikey', bindings: [{ role: 'operator', namespaces: ['*'] }] },
  from: 'test',
  via: 'http',
};

/** The affine route with stable "1" at 100 and candidate "2" at 0, and the given rollout. */
export function rolloutRoute(rollout: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name: 'affine', namespace: 'default' },
    spec: {
      model: 'affine',
      mtls: 'DISABLE',
      versions: [
        { name: '1', weight: 100 },
        { name: '2', weight: 0 },
      ],
      rollout,
    },
  };
}

/** A repository whose affine model is version "2". */
export async function candidateRepo(): Promise<ModelRepo> {
  const repo = await modelRepoCopy(['affine']);
  await rename(join(repo.dir, 'affine', '1'), join(repo.dir, 'affine', '2'));
  return repo;
}

export interface RolloutWorld {
  readonly nats: NatsServer;
  readonly planes: ControlPlaneFixture[];
  readonly stable: Pod;
  readonly candidate: Pod;
  readonly load: LoadGenerator;
  /** Each plane's lease (undefined without replicas). */
  readonly leases: readonly (Lease | undefined)[];
  /** The plane whose API a test uses (the first that is still running). */
  plane(): ControlPlaneFixture;
  /** Stops plane `i` (its lease released on the way out, as a replica shut down does). */
  stopPlane(i: number): Promise<void>;
  status(): Promise<RolloutView>;
  close(): Promise<void>;
}

export async function startPlane(
  nats: NatsServer,
  replica?: string,
): Promise<{ fx: ControlPlaneFixture; lease?: Lease }> {
  const natsOpts = { servers: nats.url, ...nats.credentials('admin'), name: `cp-${replica ?? 'single'}` };
  const state = replica
    ? await openReplicaState(
        natsOpts,
        { replica, leaseTtlMs: 2000 },
        createLogger('replica', { level: 'warn' }),
      )
    : undefined;
  const fx = await startControlPlane({}, { nats: natsOpts, ...(state ? { replica: state } : {}) });
  return state ? { fx, lease: state.lease } : { fx };
}

/**
 * `replicas`: names of control-plane replicas sharing a lease (none: one plane without a lease);
 * `xdsPlane`: the plane whose xDS server the clients use.
 */
export async function startWorld(
  opts: { replicas?: string[]; xdsPlane?: number } = {},
): Promise<RolloutWorld> {
  const nats = await startNats(['stable-0', 'candidate-0']);
  const planes: ControlPlaneFixture[] = [];
  const names = opts.replicas ?? [undefined];
  const leases: (Lease | undefined)[] = [];
  for (const n of names) {
    const p = await startPlane(nats, n);
    planes.push(p.fx);
    leases.push(p.lease);
  }
  const repoA = await affineRepo();
  const repoB = await candidateRepo();
  const stable = await startPod(nats, repoA, 'stable-0');
  const candidate = await startPod(nats, repoB, 'candidate-0');
  const clients = [0, 1].map(
    (i) => new XdsInferenceClient(planes[opts.xdsPlane ?? 0]!.xdsAddress, 'affine', `rollout-client-${i}`),
  );
  const load = new LoadGenerator(clients);
  const stopped = new Set<number>();
  const world: RolloutWorld = {
    nats,
    planes,
    stable,
    candidate,
    load,
    leases,
    plane: () => planes.find((_, i) => !stopped.has(i))!,
    stopPlane: async (i) => {
      stopped.add(i);
      await planes[i]!.close();
    },
    status: () => world.plane().cp.rollouts!.service.status(OPERATOR, 'default', 'affine'),
    close: async () => {
      await load.stop();
      for (const c of clients) c.close();
      await Promise.all([stable.close(), candidate.close()]);
      for (const [i, p] of planes.entries()) if (!stopped.has(i)) await p.close().catch(() => undefined);
      await nats.stop();
      await Promise.all([repoA.cleanup(), repoB.cleanup()]);
    },
  };
  return world;
}

/** Polls until `pred` holds, with a generous deadline (the machine is shared and loaded). */
export async function waitFor<T>(
  what: string,
  get: () => Promise<T>,
  pred: (v: T) => boolean,
  ms = 45_000,
): Promise<T> {
  const until = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < until) {
    last = await get();
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
}
