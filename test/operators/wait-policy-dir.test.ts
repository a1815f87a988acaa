// `switchyard wait` on a control plane without a store (a policy directory only): the directory's
// policies are all revision 0, so wait compares the proxies with what is published now; the test
// publishes the changed file first (flush), as an operator waits after the file is picked up.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMain } from '../helpers/cli-in-process.js';
import {
  type ControlPlaneFixture,
  modelRouteYaml,
  startControlPlane,
  waitFor,
} from '../helpers/control-plane.js';
import { xdsDemoClient } from '../helpers/xds-client.js';

let fx: ControlPlaneFixture;
let client: ReturnType<typeof xdsDemoClient>;

beforeAll(async () => {
  fx = await startControlPlane({ 'bert.yaml': modelRouteYaml('bert', { v1: [80, 9101], v2: [20, 9102] }) });
  client = xdsDemoClient(fx.xdsAddress, 'bert', 'policy-dir-wait');
  client.getChannel().getConnectivityState(true);
  await waitFor(
    () =>
      fx.cp.proxies.list().some((p) => p.nodeId === 'policy-dir-wait' && p.types.EDS?.acked !== undefined),
    20_000,
    'the grpc-js-xds client to ACK its endpoints',
  );
}, 60_000);

afterAll(async () => {
  client?.close();
  await fx?.close();
});

it('waits for a changed policy file to be ACKed', async () => {
  fx.write('bert.yaml', modelRouteYaml('bert', { v1: [30, 9101], v2: [70, 9102] }));
  await waitFor(
    () => fx.cp.routes().some((r) => r.spec.versions[0]!.weight === 30),
    10_000,
    'the directory watcher to read the change',
  );
  fx.cp.flush();
  const r = await runMain('wait', 'bert', '--timeout', '20s', '--server', fx.adminUrl, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  const done = JSON.parse(r.stdout);
  expect(done).toMatchObject({ state: 'acked', revision: 0, published: 0 });
  expect(done.proxies.map((p: { nodeId: string }) => p.nodeId)).toEqual(['policy-dir-wait']);
  const cfg = await runMain(
    'proxy-config',
    'policy-dir-wait',
    '--type',
    'routes',
    '-o',
    'json',
    '--server',
    fx.adminUrl,
  );
  expect(cfg.stdout).toContain('"weight": 70');
});
