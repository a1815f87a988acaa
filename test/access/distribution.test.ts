// Access rules travel from the control plane to the pods (docs/ACCESS.md, "At the pods"): a real
// nats-server whose pod users may not publish their own access subject, a real control plane
// reading a policy directory, and a real pod. The pod admits nothing before the rules arrive
// (fail closed), then enforces them, and a changed policy decides the next calls within seconds,
// without a restart; a route without spec.access opens the model again.
import { createHash } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { encodeAccessRules, podSubjects } from '../../kernel/contract/index.js';
import {
  affineRepo,
  type ModelRepo,
  routeYaml,
  startDiscoveryPlane,
  startNats,
  startPod,
} from '../endpoints/harness.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import { waitFor } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { GrpcCaller, restInfer } from './helpers.js';

const POD_ID = 'access-pod-1';
const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const KEY_1 = 'sy_first-key-of-acme';
const KEY_2 = 'sy_second-key-of-acme';

function withKey(key: string): string {
  return routeYaml(`  access:\n    apiKeys:\n      - { sha256: ${sha(key)}, tenant: acme }\n`);
}

let nats: NatsServer;
let repo: ModelRepo;
let pod: Pod;
let f: ControlPlaneFixture | undefined;
let grpc: GrpcCaller;

const key = (k: string) => ({ headers: { 'x-api-key': k } });

/** Waits until a call with `k` gets `status` over both transports; returns how long it took. */
async function until(k: string | undefined, status: number, what: string): Promise<number> {
  const t0 = performance.now();
  const o = k ? key(k) : {};
  await waitFor(
    async () =>
      (await grpc.infer(o)).status === status && (await restInfer(pod.ports.http, o)).status === status,
    15_000,
    what,
  );
  return performance.now() - t0;
}

beforeAll(async () => {
  nats = await startNats([POD_ID]);
  repo = await affineRepo();
  pod = await startPod(nats, repo, POD_ID, { access: { from: 'control-plane' } });
  grpc = new GrpcCaller(pod.ports.grpc);
});

afterAll(async () => {
  grpc?.close();
  await pod?.close();
  await f?.close();
  await nats?.stop();
  await repo?.cleanup();
});

describe('access rules from the control plane', () => {
  it('fails closed: before any rules arrive, the pod admits no inference (503 / UNAVAILABLE)', async () => {
    await pod.agent!.registered;
    expect(pod.access!.state).toBe('pending');
    const [g, r] = [await grpc.infer(key(KEY_1)), await restInfer(pod.ports.http, key(KEY_1))];
    expect([g.status, r.status]).toEqual([503, 503]);
    expect(r.retryAfter).toBe('1');
    expect(r.message).toMatch(/access rules have not arrived/);
  });

  it('enforces the rules once the control plane sends them', async () => {
    f = await startDiscoveryPlane(nats, {}, withKey(KEY_1));
    await until(KEY_1, 200, 'the first key to be admitted');
    expect((await grpc.infer(key(KEY_2))).status).toBe(401);
    expect((await restInfer(pod.ports.http, {})).status).toBe(401);
  });

  it('decides the next calls by a changed policy within seconds, without a restart', async () => {
    const version = pod.access!.version;
    f!.write('affine.yaml', withKey(KEY_2));
    const ms = await until(KEY_2, 200, 'the second key to be admitted');
    expect(ms).toBeLessThan(15_000);
    expect(pod.access!.version).not.toBe(version);
    expect((await grpc.infer(key(KEY_1))).status).toBe(401);
    expect((await restInfer(pod.ports.http, key(KEY_1))).status).toBe(401);
  });

  it("refuses a pod's own NATS user that publishes access rules to itself", async () => {
    const { user, pass } = nats.credentials(POD_ID);
    const podConn = await connect({ servers: nats.url, user, pass });
    const refused = (async () => {
      for await (const s of podConn.status())
        if (s.type === 'error' && /Permissions Violation/i.test(String(s.error))) return true;
      return false;
    })();
    podConn.publish(podSubjects(POD_ID).access, encodeAccessRules({ version: 'forged', models: {} }));
    expect(await refused).toBe(true);
    await podConn.close();
    expect(pod.access!.version).not.toBe('forged');
    expect((await grpc.infer(key(KEY_1))).status).toBe(401);
  });

  it('opens the model again when the route drops spec.access', async () => {
    f!.write('affine.yaml', routeYaml());
    await until(undefined, 200, 'the model to be open');
    expect(pod.access!.state).toBe('enforcing');
  });
});
