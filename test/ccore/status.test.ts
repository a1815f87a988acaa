// `switchyard status` with a real gRPC C-core client connected to a real control plane: its
// client family and version in the client column, its capability group, and, when it is served
// what it cannot parse, its NACK with the client's own text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcoreClient } from '../helpers/ccore-client.js';
import { runCli } from '../helpers/cli.js';
import { type ControlPlaneFixture, modelRouteYaml, startControlPlane } from '../helpers/control-plane.js';
import { type DemoBackendHandle, startDemoBackend } from '../helpers/demo-backend.js';
import { CCORE_GROUP, unavailable, until } from './harness.js';

let fx: ControlPlaneFixture;
let v1: DemoBackendHandle;
let v2: DemoBackendHandle;
let client: CcoreClient | undefined;

beforeAll(async () => {
  v1 = await startDemoBackend('v1');
  v2 = await startDemoBackend('v2');
  const match = 'match:\n  - headers: { x-cohort: beta }\n    version: v2\n';
  fx = await startControlPlane({
    'bert.yaml': `${modelRouteYaml('bert', { v1: [100, v1.port], v2: [0, v2.port] })}  ${match.replace(/\n(?=.)/g, '\n  ')}`,
  });
});
afterAll(async () => {
  await client?.close();
  await fx.close();
  await Promise.all([v1.close(), v2.close()]);
});

describe.skipIf(unavailable)('switchyard status with gRPC C-core', () => {
  it('shows the client family and version, and the client NACK text when served string_match', async () => {
    client = new CcoreClient(fx.xdsAddress, 'ccore-status');
    await client.send('bert', { n: 1, waitForReady: true, timeout: 10 });
    const pinned = await client.send('bert', { n: 20, headers: { 'x-cohort': 'beta' } });
    expect(pinned.errors).toEqual([]);
    expect(pinned.byVersion).toEqual({ v2: 20 });
    const ok = await runCli(['status', '--server', fx.adminUrl]);
    expect(ok.code).toBe(0);
    const line = ok.stdout.split('\n').find((l) => l.startsWith('ccore-status'));
    expect(line).toMatch(
      /^ccore-status\s+grpc\s+c-core \d+\.\d+\.\d+ Python \d+\.\d+\.\d+\s+sotw\s+\S+\s+SYNCED/,
    );
    expect(ok.stdout).toMatch(
      new RegExp(`^${CCORE_GROUP.replaceAll('+', '\\+')}\\s+[0-9a-f]{16}\\s+\\S+\\s+ok$`, 'm'),
    );

    // A control plane that ignored the capability set would serve C-core the string_match
    // encoding: the client says why it rejects it, and status shows that text.
    fx.cp.cache.set(CCORE_GROUP, fx.cp.cache.get('grpc')!);
    await until('the C-core NACK', () =>
      fx.cp.proxies.list().some((p) => p.nodeId === 'ccore-status' && p.types.RDS?.lastNack !== undefined),
    );
    const nacked = await runCli(['status', '--server', fx.adminUrl]);
    expect(nacked.stdout.split('\n').find((l) => l.startsWith('ccore-status'))).toMatch(/NACKED/);
    expect(nacked.stdout).toMatch(
      /ccore-status RDS rejected [0-9a-f]+: .*Invalid route header matcher specified/,
    );
  });
});
