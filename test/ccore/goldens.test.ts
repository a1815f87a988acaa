// Every gRPC-flavor golden case, as a C-core client of this release gets it (its capability
// set), served by a real xDS server to a real C-core client subscribing to each model's
// listener: every type it subscribes to is ACKed, none NACKed. The grpc-js-xds side of the same
// check is test/translate-e2e/grpc-accepts.test.ts.
import { fromBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forCapabilities, GROUPS } from '../../control-plane/translate/capabilities.js';
import { translate } from '../../control-plane/translate/index.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { Cluster_LbPolicy, ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { bootstrapWithProviders, CcoreClient } from '../helpers/ccore-client.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { goldenCaseNames, readGoldenCase } from '../translate-e2e/golden-cases.js';
import { CCORE_GROUP, unavailable, until } from './harness.js';

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

describe.skipIf(unavailable)('gRPC C-core accepts every gRPC-flavor golden case', () => {
  for (const name of goldenCaseNames()) {
    it(name, async () => {
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
      expect(p.group).toBe(CCORE_GROUP);
      // gRPC 1.51's ring_hash picker crashes the process (https://github.com/grpc/grpc/issues/31766):
      // its group serves sticky models as ROUND_ROBIN, and the client above survived them.
      if (CCORE_GROUP.endsWith('+no-ring-hash'))
        for (const r of fx.cache.get(p.group)!.type(TYPE.CDS).resources.values())
          expect(fromBinary(ClusterSchema, r.any.value).lbPolicy).not.toBe(Cluster_LbPolicy.RING_HASH);
      expect(
        fx.events
          .slice(0)
          .filter((e) => e.kind === 'nack')
          .slice(nacksBefore),
      ).toEqual([]);
    });
  }
});
