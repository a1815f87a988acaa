// `switchyard status` against a running control plane with a real proxyless client connected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type ControlPlaneFixture, modelRouteYaml, startControlPlane } from '../helpers/control-plane.js';
import { type DemoBackendHandle, startDemoBackend } from '../helpers/demo-backend.js';
import { measureSplit, xdsDemoClient } from '../helpers/xds-client.js';

let fx: ControlPlaneFixture;
let v1: DemoBackendHandle;

beforeAll(async () => {
  v1 = await startDemoBackend('v1');
  fx = await startControlPlane({ 'bert.yaml': modelRouteYaml('bert', { v1: [100, v1.port] }) });
});
afterAll(async () => {
  await fx.close();
  await v1.close();
});

describe('switchyard status', () => {
  it('prints connected proxies with their per-type sync state', async () => {
    const client = xdsDemoClient(fx.xdsAddress, 'bert', 'status-node-1');
    try {
      expect((await measureSplit(client, 'bert', 20)).failures).toBe(0);
      const r = await runCli(['status', '--server', fx.adminUrl]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const line = r.stdout.split('\n').find((l) => l.startsWith('status-node-1'));
      expect(line).toBeDefined();
      expect(line).toMatch(
        /status-node-1\s+grpc\s+grpc-js \d+\.\d+\.\d+\s+sotw\s+\S+\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED\s+-/,
      );
      expect(r.stdout).toMatch(/^grpc\s+[0-9a-f]{16}\s+\S+\s+ok$/m);
      const json = await runCli(['status', '--server', fx.adminUrl, '-o', 'json']);
      const parsed = JSON.parse(json.stdout) as { proxies: Array<{ nodeId: string }> };
      expect(parsed.proxies.map((p) => p.nodeId)).toContain('status-node-1');
    } finally {
      client.close();
    }
  });

  it('exits 2 naming a bad option, and 6 naming an unreachable server', async () => {
    const bad = await runCli(['status', '--output', 'xml', '--server', fx.adminUrl]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--output: "xml" is not one of table, json, yaml \[SY_OPTION_INVALID\]/);
    const down = await runCli(['status', '--server', 'http://127.0.0.1:1']);
    expect(down.code).toBe(6);
    expect(down.stderr).toMatch(/cannot reach the admin API at http:\/\/127\.0\.0\.1:1.*\[SY_UNAVAILABLE\]/);
  });
});
