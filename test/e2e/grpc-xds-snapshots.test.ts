// Real proxyless gRPC clients (@grpc/grpc-js-xds) against the xDS server fed hand-built
// snapshots: the split they route with, and the consistency check protecting them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoBackendHandle, startDemoBackend } from '../helpers/demo-backend.js';
import { measureSplit, xdsDemoClient } from '../helpers/xds-client.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { cluster, endpoints, modelSet } from '../helpers/xds-resources.js';

let fx: XdsFixture;
let v1: DemoBackendHandle;
let v2: DemoBackendHandle;

beforeAll(async () => {
  fx = await startXds();
  v1 = await startDemoBackend('v1');
  v2 = await startDemoBackend('v2');
});
afterAll(async () => {
  await Promise.all([fx.close(), v1.close(), v2.close()]);
});

const split = (w1: number, w2: number) =>
  modelSet('resnet', { v1: { weight: w1, ports: [v1.port] }, v2: { weight: w2, ports: [v2.port] } });

describe('grpc-js-xds against published snapshots', () => {
  it('routes 80/20 within 5 points over 2,000 RPCs', async () => {
    fx.publish('grpc', split(80, 20));
    const client = xdsDemoClient(fx.address, 'resnet', 'split-client');
    try {
      const r = await measureSplit(client, 'resnet', 2000);
      expect(r.failures).toBe(0);
      const share = (r.counts.v1 ?? 0) / 2000;
      expect(share).toBeGreaterThan(0.75);
      expect(share).toBeLessThan(0.85);
      const p = fx.registry.list().find((x) => x.nodeId === 'split-client');
      expect(p?.flavor).toBe('grpc');
      for (const t of ['LDS', 'RDS', 'CDS', 'EDS']) expect(p?.types[t]?.acked).toBe(p?.types[t]?.sent);
    } finally {
      client.close();
    }
  });

  it('refuses a snapshot removing a cluster that routes still use, and traffic never notices', async () => {
    fx.publish('grpc', split(50, 50));
    const client = xdsDemoClient(fx.address, 'resnet', 'consistency-client');
    try {
      await measureSplit(client, 'resnet', 50);
      const before = fx.cache.get('grpc')!.version;
      const broken = {
        ...split(50, 50),
        clusters: [cluster('resnet/v1')],
        endpoints: [endpoints('resnet/v1', [v1.port])],
      };
      const traffic = measureSplit(client, 'resnet', 400, 10);
      expect(() => fx.publish('grpc', broken)).toThrowError(/missing cluster "resnet\/v2"/);
      const r = await traffic;
      expect(fx.cache.get('grpc')!.version).toBe(before);
      expect(r.failures).toBe(0);
      expect(r.counts.v2).toBeGreaterThan(100);
    } finally {
      client.close();
    }
  });
});
