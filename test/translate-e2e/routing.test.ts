// Translated policies steering real proxyless gRPC clients (@grpc/grpc-js-xds dialing
// xds:///<model>) through a real xDS server: header pinning, a weighted 3-way split, residency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xdsDemoClient } from '../helpers/xds-client.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { endpointOf, type Pod, policy, publishPolicy, send, startPod } from './harness.js';

let fx: XdsFixture;
const pods: Pod[] = [];
const pod = async (version: string, name: string, host?: string) => {
  const p = await startPod(version, name, host);
  pods.push(p);
  return p;
};

beforeAll(async () => {
  fx = await startXds();
});
afterAll(async () => {
  await Promise.all([fx.close(), ...pods.map((p) => p.close())]);
});

describe('translated routes with grpc-js-xds', () => {
  it('pins x-cohort: beta to v2, and only that header value', async () => {
    const v1 = await pod('v1', 'pin-v1');
    const v2 = await pod('v2', 'pin-v2');
    publishPolicy(
      fx,
      policy(
        'pinned',
        `versions:
  - { name: v1, weight: 100, endpoints: [{ address: 127.0.0.1, port: ${v1.port} }] }
  - { name: v2, weight: 0, endpoints: [{ address: 127.0.0.1, port: ${v2.port} }] }
match:
  - headers: { x-cohort: beta }
    version: v2`,
      ),
    );
    const client = xdsDemoClient(fx.address, 'pinned', 'translate-pin');
    try {
      const beta = await send(client, 'pinned', 200, { 'x-cohort': 'beta' });
      const alpha = await send(client, 'pinned', 200, { 'x-cohort': 'betamax' });
      const none = await send(client, 'pinned', 200);
      expect([beta.failures, alpha.failures, none.failures]).toEqual([0, 0, 0]);
      expect(beta.byVersion).toEqual({ v2: 200 });
      expect(alpha.byVersion).toEqual({ v1: 200 });
      expect(none.byVersion).toEqual({ v1: 200 });
    } finally {
      client.close();
    }
  });

  it('splits 50/30/20 across three versions within 5 points over 3,000 RPCs', async () => {
    const [a, b, c] = await Promise.all([pod('a', 'split-a'), pod('b', 'split-b'), pod('c', 'split-c')]);
    publishPolicy(
      fx,
      policy(
        'three',
        `versions:
  - { name: a, weight: 50, endpoints: [{ address: 127.0.0.1, port: ${a!.port} }] }
  - { name: b, weight: 30, endpoints: [{ address: 127.0.0.1, port: ${b!.port} }] }
  - { name: c, weight: 20, endpoints: [{ address: 127.0.0.1, port: ${c!.port} }] }`,
      ),
    );
    const client = xdsDemoClient(fx.address, 'three', 'translate-split');
    try {
      const r = await send(client, 'three', 3000, undefined, 32);
      expect(r.failures).toBe(0);
      const share = (v: string) => (r.byVersion[v] ?? 0) / 3000;
      expect(Math.abs(share('a') - 0.5)).toBeLessThan(0.05);
      expect(Math.abs(share('b') - 0.3)).toBeLessThan(0.05);
      expect(Math.abs(share('c') - 0.2)).toBeLessThan(0.05);
    } finally {
      client.close();
    }
  });

  it('keeps traffic inside the allowed regions, and fails closed when none is left', async () => {
    const north = await pod('v1', 'north', '127.0.0.1');
    const south = await pod('v1', 'south', '127.0.0.1');
    const foreign = await pod('v1', 'foreign', '127.0.0.2');
    const table = {
      'resident/v1': [
        endpointOf(north, { region: 'ae-north' }),
        endpointOf(south, { region: 'ae-south' }),
        endpointOf(foreign, { region: 'us-east' }),
      ],
      'stranded/v1': [endpointOf(foreign, { region: 'us-east' })],
    };
    publishPolicy(
      fx,
      `${policy('resident', 'versions: [{ name: v1 }]\nresidency: { regions: [ae-north, ae-south] }')}---\n${policy(
        'stranded',
        'versions: [{ name: v1 }]\nresidency: { regions: [ae-north] }',
      )}`,
      table,
    );
    const resident = xdsDemoClient(fx.address, 'resident', 'translate-resident');
    const stranded = xdsDemoClient(fx.address, 'stranded', 'translate-stranded');
    try {
      const r = await send(resident, 'resident', 300);
      expect(r.failures).toBe(0);
      expect(Object.keys(r.byPod).sort()).toEqual(['north', 'south']);
      const s = await send(stranded, 'stranded', 20, undefined, 4);
      expect(s.failures).toBe(20);
      expect(s.errors[0]).toMatch(/^14 UNAVAILABLE/);
      expect(foreign.calls).toBe(0);
    } finally {
      resident.close();
      stranded.close();
    }
  });
});
