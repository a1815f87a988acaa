// `switchyard wait`, `apply --wait` and `proxy-config` against a live control plane on a real
// nats-server, with real xDS peers: a grpc-js-xds channel that ACKs whatever it is sent, and raw
// ADS streams scripted to NACK a revision or to leave it unanswered.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import type { DiscoveryResponse } from '../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { type ApiFixture, routeDoc, startApi } from '../api/fixture.js';
import { DeltaClient, SotwClient } from '../helpers/ads-client.js';
import { runMain } from '../helpers/cli-in-process.js';
import { waitFor } from '../helpers/control-plane.js';
import { xdsDemoClient } from '../helpers/xds-client.js';

let fx: ApiFixture;
let grpcClient: ReturnType<typeof xdsDemoClient>;
const GRPC_NODE = 'wait-test-grpc-js';

function cli(...args: string[]) {
  return runMain(...args, '--server', fx.url, '--api-key', fx.keys['operator-default']);
}

/** proxy-config reads what any namespace's proxies get: a cluster-wide viewer. */
function viewerCli(...args: string[]) {
  return runMain(...args, '--server', fx.url, '--api-key', fx.keys['viewer-all']);
}

async function apply(weight: number): Promise<number> {
  const r = await fx.call(
    'POST',
    '/api/v1/policies',
    { document: routeDoc('resnet', 'default', weight) },
    {
      'x-api-key': fx.keys['operator-default'],
    },
  );
  expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
  return r.json.revision as number;
}

/** An Envoy-flavored raw stream holding the gateway's routes, its first answers ACKed. */
async function gatewayRoutesStream(nodeId: string): Promise<SotwClient> {
  const c = new SotwClient(fx.xdsAddress, { id: nodeId });
  c.send({ typeUrl: TYPE.LDS, resourceNames: [] });
  c.ack(await c.next(10_000));
  c.send({ typeUrl: TYPE.RDS, resourceNames: ['switchyard-gateway'] });
  const rds = await c.next(10_000);
  expect(rds.typeUrl).toBe(TYPE.RDS);
  c.ack(rds, ['switchyard-gateway']);
  return c;
}

async function nextOf(c: SotwClient, type: string): Promise<DiscoveryResponse> {
  for (;;) {
    const r = await c.next(10_000);
    if (r.typeUrl === type) return r;
  }
}

beforeAll(async () => {
  fx = await startApi();
  await apply(90);
  grpcClient = xdsDemoClient(fx.xdsAddress, 'resnet', GRPC_NODE);
  // Resolving the target makes grpc-js-xds subscribe (LDS resnet, then RDS, CDS, EDS) and ACK.
  grpcClient.getChannel().getConnectivityState(true);
  await waitFor(
    () => fx.cp.proxies.list().some((p) => p.nodeId === GRPC_NODE && p.types.EDS?.acked !== undefined),
    20_000,
    'the grpc-js-xds client to ACK its endpoints',
  );
}, 60_000);

afterAll(async () => {
  grpcClient?.close();
  await fx?.close();
});

describe('apply --wait and wait', () => {
  it('returns once the grpc-js-xds client has ACKed the new revision', async () => {
    const file = `${fx.dir}/resnet.yaml`;
    const { writeFileSync } = await import('node:fs');
    const { stringify } = await import('yaml');
    writeFileSync(file, stringify(routeDoc('resnet', 'default', 70)));
    const r = await cli('apply', '-f', file, '--wait', '--timeout', '20s');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/modelroute default\/resnet configured/);
    expect(r.stdout).toMatch(/modelroute default\/resnet revision \d+: ACKed by 1 proxy\b/);
    // The client really holds the new split: its route configuration is the one served now.
    const sync = await fx.call('GET', '/api/v1/namespaces/default/policies/resnet/sync', undefined, {
      'x-api-key': fx.keys['viewer-default'],
    });
    expect(sync.json.state).toBe('acked');
    expect(sync.json.proxies.map((p: { nodeId: string }) => p.nodeId)).toEqual([GRPC_NODE]);
    expect(sync.json.proxies[0].acked).toBe(sync.json.proxies[0].resources);
  }, 40_000);

  it('fails at once with the NACK text when a proxy rejects the revision', async () => {
    const envoy = await gatewayRoutesStream('wait-test-nacker');
    try {
      const revision = await apply(60);
      const pushed = await nextOf(envoy, TYPE.RDS);
      envoy.nack(pushed, '', 'weighted_clusters: total weight 60 out of range', ['switchyard-gateway']);
      const r = await cli(
        'wait',
        'resnet',
        '--for',
        'acked',
        '--timeout',
        '20s',
        '--revision',
        String(revision),
      );
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toContain('wait-test-nacker rejected RDS');
      expect(r.stderr).toContain('total weight 60 out of range');
      expect(r.stderr).toContain('[SY_SYNC_REJECTED]');
    } finally {
      envoy.close();
    }
  }, 40_000);

  it('times out naming the proxy that never answered', async () => {
    const envoy = await gatewayRoutesStream('wait-test-silent');
    try {
      const revision = await apply(50);
      // Sent, never answered: the stream holds the revision's routes unACKed.
      await nextOf(envoy, TYPE.RDS);
      // The grpc-js-xds client's ACK is awaited first (a loaded machine may be slow), so the
      // timeout below can only be the silent stream's.
      await waitFor(
        async () =>
          (
            await fx.call(
              'GET',
              `/api/v1/namespaces/default/policies/resnet/sync?revision=${revision}`,
              undefined,
              {
                'x-api-key': fx.keys['viewer-default'],
              },
            )
          ).json.proxies?.some(
            (p: { nodeId: string; state: string }) => p.nodeId === GRPC_NODE && p.state === 'acked',
          ),
        20_000,
        'the grpc-js-xds client to ACK the revision',
      );
      const started = Date.now();
      const r = await cli('wait', 'resnet', '--timeout', '1500ms', '--revision', String(revision));
      expect(r.code, r.stdout).toBe(7);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(r.stderr).toMatch(/1 of 2 proxies have not ACKed after 1\.5s/);
      expect(r.stderr).toContain('wait-test-silent');
      expect(r.stderr).toContain('RDS switchyard-gateway');
      expect(r.stderr).not.toContain(GRPC_NODE);
      // Progress was printed while waiting.
      expect(r.stderr).toMatch(/1\/2 proxies ACKed/);
    } finally {
      envoy.close();
    }
  }, 40_000);

  it('follows a delta stream too: pending until it ACKs, failed when it NACKs', async () => {
    const delta = new DeltaClient(fx.xdsAddress, { id: 'wait-test-delta', userAgentName: 'grpc-node-js' });
    try {
      delta.send({ typeUrl: TYPE.RDS, resourceNamesSubscribe: ['resnet'] });
      delta.ack(await delta.next(10_000));
      const revision = await apply(40);
      const pushed = await delta.next(10_000);
      expect(pushed.resources.map((r) => r.name)).toEqual(['resnet']);
      const state = async () =>
        (
          await fx.call(
            'GET',
            `/api/v1/namespaces/default/policies/resnet/sync?revision=${revision}`,
            undefined,
            {
              'x-api-key': fx.keys['viewer-default'],
            },
          )
        ).json;
      // Sent, not answered yet: the delta stream holds it back; the grpc-js-xds client ACKs.
      await waitFor(
        async () => (await state()).proxies.some((p: { state: string }) => p.state === 'acked'),
        10_000,
        'the grpc-js-xds client to ACK',
      );
      const before = await state();
      expect(before.state).toBe('syncing');
      expect(before.proxies.find((p: { nodeId: string }) => p.nodeId === 'wait-test-delta')).toMatchObject({
        state: 'pending',
        waitingFor: ['RDS resnet'],
      });
      delta.send({
        typeUrl: TYPE.RDS,
        responseNonce: pushed.nonce,
        errorDetail: { code: 3, message: 'route resnet: bad weights' },
      });
      await waitFor(async () => (await state()).state === 'failed', 10_000, 'the NACK to fail the revision');
      const after = await state();
      expect(
        after.proxies.find((p: { nodeId: string }) => p.nodeId === 'wait-test-delta').nack,
      ).toMatchObject({
        type: 'RDS',
        message: 'route resnet: bad weights',
      });
    } finally {
      delta.close();
    }
  }, 40_000);

  it('refuses a wrong condition, a missing name and an unknown flag with one line each', async () => {
    const cond = await cli('wait', 'resnet', '--for', 'ready');
    expect(cond.code).toBe(2);
    expect(cond.stderr.trim().split('\n')).toHaveLength(1);
    expect(cond.stderr).toContain('--for "ready"');
    const none = await cli('wait');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('which policy?');
    const flag = await cli('wait', 'resnet', '--timout', '1s');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--timout'");
    const missing = await cli('wait', 'nosuch', '--timeout', '1s');
    expect(missing.code).toBe(4);
    const help = await runMain('wait', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--timeout');
  });
});

describe('proxy-config', () => {
  it('shows what the live server sends a node now, per type', async () => {
    const r = await viewerCli('proxy-config', GRPC_NODE, '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.node).toBe(GRPC_NODE);
    const [stream] = body.streams;
    expect(stream.flavor).toBe('grpc');
    expect(stream.resources.listeners.map((l: { name: string }) => l.name)).toEqual(['resnet']);
    expect(stream.resources.clusters.map((c: { name: string }) => c.name).sort()).toEqual([
      'resnet/v1',
      'resnet/v2',
    ]);
    const route = stream.resources.routes[0];
    expect(route['@type']).toBe('type.googleapis.com/envoy.config.route.v3.RouteConfiguration');
    // The weights of the revision applied last (60/40) are what the node is sent.
    expect(JSON.stringify(route)).toContain('"weight":40');
  });

  it('filters by type, renders YAML by default, and names a node that is not connected', async () => {
    const r = await viewerCli('proxy-config', GRPC_NODE, '--type', 'clusters');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('name: resnet/v1');
    expect(r.stdout).not.toContain('RouteConfiguration');
    const gone = await viewerCli('proxy-config', 'no-such-node');
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain('no proxy with node id "no-such-node"');
    const denied = await cli('proxy-config', GRPC_NODE);
    expect(denied.code).toBe(5);
    expect(denied.stderr).toContain('needs role viewer');
    const bad = await viewerCli('proxy-config', GRPC_NODE, '--type', 'clusterz');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--type clusterz');
  });
});
