// Every gRPC-flavor golden case, as a C-core client of this release gets it (its capability
// set), served by a real xDS server to a real C-core client subscribing to each model's
// listener: every type it subscribes to is ACKed, none NACKed. The grpc-js-xds side of the same
// check is test/translate-e2e/grpc-accepts.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forCapabilities, GROUPS } from '../../control-plane/translate/capabilities.js';
import { translate } from '../../control-plane/translate/index.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { bootstrapWithProviders, CcoreClient, ccoreVersion } from '../helpers/ccore-client.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { goldenCaseNames, readGoldenCase } from '../translate-e2e/golden-cases.js';
import { unavailable, until } from './harness.js';

const NODE = 'ccore-goldens';
let fx: XdsFixture;
let client: CcoreClient;

beforeAll(async () => {
  if (unavailable) return;
  fx = await startXds();
  // The instance names the golden cases use; C-core checks them against its bootstrap.
  const names = new Set(['default']);
  for (const name of goldenCaseNames()) {
    const o = readGoldenCase(name).options;
    if (o?.certificateProviderInstance) names.add(o.certificateProviderInstance);
    if (o?.caCertificateProviderInstance) names.add(o.caCertificateProviderInstance);
  }
  const files = { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem', ca: '/nonexistent/ca.pem' };
  client = new CcoreClient(
    fx.address,
    NODE,
    bootstrapWithProviders(fx.address, NODE, Object.fromEntries([...names].map((n) => [n, files]))),
  );
});
afterAll(async () => {
  await client?.close();
  await fx?.close();
});

const TYPES = [
  ['LDS', TYPE.LDS],
  ['RDS', TYPE.RDS],
  ['CDS', TYPE.CDS],
  ['EDS', TYPE.EDS],
] as const;

/**
 * Cases this C-core release cannot take, and why. RING_HASH clusters crash gRPC 1.51's ring_hash
 * picker (SIGSEGV, fixed after 1.51: https://github.com/grpc/grpc/issues/31766); see
 * docs/TRANSLATION.md.
 */
const CRASHES_CCORE_1_51: Record<string, string> = {
  'sticky-header':
    'RING_HASH crashes the C-core 1.51 ring_hash picker (https://github.com/grpc/grpc/issues/31766)',
};

describe.skipIf(unavailable)('gRPC C-core accepts every gRPC-flavor golden case', () => {
  for (const name of goldenCaseNames()) {
    const crash = /^1\.51\./.test(ccoreVersion() ?? '') ? CRASHES_CCORE_1_51[name] : undefined;
    if (crash) console.warn(`skipping golden case ${name} for C-core: ${crash}`);
    it.skipIf(crash)(name, async () => {
      await client.closeChannels();
      const { input, options } = readGoldenCase(name);
      const set = translate(input, 'grpc', options);
      // Every gRPC group gets the case; the C-core stream reads the one of its capability set.
      for (const g of GROUPS)
        if (g.flavor === 'grpc') fx.publish(g.group, forCapabilities(set, g.capabilities));
      const nacksBefore = fx.events.filter((e) => e.kind === 'nack').length;
      for (const l of set.listeners) await client.connect(l.name, 0.2);
      await until(`${name}: C-core ACKs or NACKs every type`, () => {
        const p = fx.registry.list().find((s) => s.nodeId === NODE);
        if (!p) return false;
        const snapshot = fx.cache.get(p.group)!;
        return TYPES.every(([short, url]) => {
          const version = snapshot.type(url).version;
          const s = p.types[short];
          return s?.acked === version || s?.lastNack?.version === version;
        });
      });
      const p = fx.registry.list().find((s) => s.nodeId === NODE)!;
      expect(p.group).toBe('grpc+legacy-header-matchers');
      expect(
        fx.events
          .slice(0)
          .filter((e) => e.kind === 'nack')
          .slice(nacksBefore),
      ).toEqual([]);
    });
  }
});
