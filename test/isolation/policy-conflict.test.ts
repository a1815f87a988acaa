// Two policies for one model, through the API (store) and through a policy directory: the API
// refuses the second with 409 SY_POLICY_CONFLICT naming the owner; a directory keeps both files,
// serves the owner (namespace/name sorting first) and reports the other by name in the policy
// list, `switchyard get`, `switchyard status` and a metric. Either way another model, followed by
// a real grpc-js-xds client, keeps getting its updates.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type ControlPlaneFixture, startControlPlane, waitFor } from '../helpers/control-plane.js';
import { NatsServer } from '../helpers/nats-server.js';
import { BEE, type ModelB, startModelB } from './model-b.js';

const mlp = (name: string, port: number) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${name}, namespace: default }
spec:
  model: mlp
  mtls: DISABLE
  versions:
    - name: v1
      endpoints: [{ address: 127.0.0.1, port: ${port} }]
`;

async function call(
  fx: ControlPlaneFixture,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${fx.adminUrl}${path}`, {
    method,
    ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: res.status, json: await res.json() };
}

async function metric(fx: ControlPlaneFixture, line: RegExp): Promise<boolean> {
  return line.test(await (await fetch(`${fx.adminUrl}/metrics`)).text());
}

/** A policy directory where two files claim model mlp, next to bee's own policy at b1. */
function conflictingFiles(bee: ModelB): Record<string, string> {
  // a-mlp-two.yaml is read first: the owner rule goes by namespace/name, not by file or order.
  return {
    'a-mlp-two.yaml': mlp('mlp-two', 9002),
    'z-mlp.yaml': mlp('mlp', 9001),
    [`${BEE}.yaml`]: bee.yaml('b1'),
  };
}

/**
 * The suite's model bee and control plane, closed after all its tests: with a store on a real
 * nats-server when `store`; with a policy directory of `files(bee)`, then waiting for bee's b1.
 */
function world(opts: { store: boolean; files?: (bee: ModelB) => Record<string, string> }): {
  fx: ControlPlaneFixture;
  bee: ModelB;
} {
  const w = {} as { fx: ControlPlaneFixture; bee: ModelB };
  let nats: NatsServer | undefined;
  beforeAll(async () => {
    if (opts.store) nats = await NatsServer.start();
    w.bee = await startModelB();
    w.fx = await startControlPlane(
      opts.files?.(w.bee) ?? {},
      nats ? { nats: { servers: nats.url, name: 'switchyard-test', ...nats.credentials() } } : {},
    );
    if (opts.files) await w.bee.waitForBackend(w.fx.xdsAddress, 'b1');
  });
  afterAll(async () => {
    await w.fx?.close();
    await w.bee?.close();
    await nats?.cleanup();
  });
  return w;
}

describe('a second policy for a routed model, through the API', () => {
  const w = world({ store: true });

  it('is refused with 409 SY_POLICY_CONFLICT naming the owner; the CLI exits non-zero; other models keep updating', async () => {
    const { fx, bee } = w;
    const { parse } = await import('yaml');
    expect((await call(fx, 'POST', '/api/v1/policies', { document: parse(mlp('mlp', 9001)) })).status).toBe(
      201,
    );
    expect((await call(fx, 'POST', '/api/v1/policies', { document: parse(bee.yaml('b1')) })).status).toBe(
      201,
    );
    await bee.waitForBackend(fx.xdsAddress, 'b1');

    const refused = await call(fx, 'POST', '/api/v1/policies', { document: parse(mlp('mlp-two', 9002)) });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('SY_POLICY_CONFLICT');
    expect(refused.json.message).toMatch(
      /default\/mlp-two not applied: model "mlp" is already routed by default\/mlp/,
    );
    const file = join(fx.dir, '..', `mlp-two-${process.pid}.yaml`);
    writeFileSync(file, mlp('mlp-two', 9002));
    const cli = await runCli(['apply', '-f', file, '--server', fx.adminUrl]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/SY_POLICY_CONFLICT/);
    expect(cli.stderr).toMatch(/already routed by default\/mlp/);
    const list = await call(fx, 'GET', '/api/v1/policies');
    expect(list.json.policies.map((p: { name: string }) => p.name).sort()).toEqual(['bee', 'mlp']);

    // Every model still moves: bee to b2, through the API.
    expect((await call(fx, 'POST', '/api/v1/policies', { document: parse(bee.yaml('b2')) })).status).toBe(
      200,
    );
    await bee.waitForBackend(fx.xdsAddress, 'b2');
    for (const g of fx.cp.snapshotGroups()) expect(g.lastError).toBeUndefined();
  });
});

describe('two files claiming one model in a policy directory', () => {
  const w = world({ store: false, files: conflictingFiles });

  it('serves default/mlp, reports default/mlp-two by name everywhere, and keeps publishing other models', async () => {
    const { fx, bee } = w;
    const snaps = await call(fx, 'GET', '/api/v1/snapshots');
    for (const g of snaps.json.groups) expect(g.lastError).toBeUndefined();
    expect(snaps.json.models).toEqual([
      expect.objectContaining({
        model: 'mlp',
        policy: 'default/mlp-two',
        code: 'SY_POLICY_CONFLICT',
        serving: 'owner',
      }),
    ]);
    const list = await call(fx, 'GET', '/api/v1/policies');
    const two = list.json.policies.find((p: { name: string }) => p.name === 'mlp-two');
    expect(two.problem.code).toBe('SY_POLICY_CONFLICT');
    expect(two.problem.message).toMatch(/already routed by default\/mlp/);
    expect(list.json.policies.find((p: { name: string }) => p.name === 'mlp').problem).toBeUndefined();
    expect(await metric(fx, /^switchyard_models_not_served\{reason="SY_POLICY_CONFLICT"\} 1$/m)).toBe(true);

    const status = await runCli(['status', '--server', fx.adminUrl]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/mlp\s+default\/mlp-two\s+SY_POLICY_CONFLICT\s+owner/);
    expect(status.stdout).toMatch(
      /default\/mlp-two: default\/mlp-two is not served: model "mlp" is already routed by default\/mlp/,
    );
    const get = await runCli(['get', '--server', fx.adminUrl]);
    expect(get.stdout).toMatch(/not served as written:\n\s+default\/mlp-two SY_POLICY_CONFLICT/);

    fx.write(`${BEE}.yaml`, bee.yaml('b2'));
    await bee.waitForBackend(fx.xdsAddress, 'b2');

    // The conflict resolved: the report and the metric clear.
    fx.write('a-mlp-two.yaml', mlp('mlp-two', 9002).replace('model: mlp', 'model: mlp2'));
    await waitFor(
      async () => (await call(fx, 'GET', '/api/v1/snapshots')).json.models.length === 0,
      10_000,
      'the conflict cleared',
    );
    expect(await metric(fx, /^switchyard_models_not_served\{/m)).toBe(false);
  });
});

describe('two files claiming one model in a policy directory synced into the store', () => {
  const w = world({ store: true, files: conflictingFiles });

  it('stores only the owner, reports the other file policy by name, and keeps publishing other models', async () => {
    const { fx, bee } = w;
    await waitFor(
      () => fx.cp.storedPolicies().some((p) => p.name === 'mlp'),
      10_000,
      'the owner synced into the store',
    );
    expect(
      fx.cp
        .storedPolicies()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['bee', 'mlp']);
    const snaps = await call(fx, 'GET', '/api/v1/snapshots');
    expect(snaps.json.models).toEqual([
      expect.objectContaining({ model: 'mlp', policy: 'default/mlp-two', code: 'SY_POLICY_CONFLICT' }),
    ]);
    const status = await runCli(['status', '--server', fx.adminUrl]);
    expect(status.stdout).toMatch(/mlp\s+default\/mlp-two\s+SY_POLICY_CONFLICT/);
    expect(await metric(fx, /^switchyard_models_not_served\{reason="SY_POLICY_CONFLICT"\} 1$/m)).toBe(true);

    fx.write(`${BEE}.yaml`, bee.yaml('b2'));
    await bee.waitForBackend(fx.xdsAddress, 'b2');
    for (const g of fx.cp.snapshotGroups()) expect(g.lastError).toBeUndefined();
  });
});
