// Without a CA (plaintext xDS, no identity groups): an Envoy node announcing the sidecar role reads
// a listener on 127.0.0.1, a gateway node one on 0.0.0.0, from the publisher's own groups over
// real ADS streams (docs/XDS.md, "Node roles").
import { fromBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneMetrics } from '../../control-plane/metrics/control-plane-metrics.js';
import { SnapshotPublisher } from '../../control-plane/pipeline/snapshot-publisher.js';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { createLogger } from '../../kernel/log/index.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { SotwClient } from '../helpers/ads-client.js';
import { policy } from '../helpers/policy-yaml.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';

let fx: XdsFixture;
const clients: SotwClient[] = [];

beforeAll(async () => {
  fx = await startXds();
  const routes = parsePolicyFile(
    policy('m', 'versions: [{ name: v1, weight: 100, endpoints: [{ address: 127.0.0.1, port: 9001 }] }]'),
    'm.yaml',
  );
  const publisher = new SnapshotPublisher(
    fx.cache,
    new ControlPlaneMetrics(),
    createLogger('test', { level: 'error' }),
  );
  expect(publisher.publish(routes, new Map())).toBe(true);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await fx?.close();
});

async function listenerOf(id: string, metadata?: Record<string, string>) {
  const c = new SotwClient(fx.address, { id, userAgentName: 'envoy', ...(metadata ? { metadata } : {}) });
  clients.push(c);
  c.send({ typeUrl: TYPE.LDS });
  const lds = await c.next(10_000);
  const l = fromBinary(ListenerSchema, lds.resources[0]!.value);
  const a = l.address?.address;
  return {
    bound: a?.case === 'socketAddress' ? a.value.address : undefined,
    port:
      a?.case === 'socketAddress' && a.value.portSpecifier.case === 'portValue'
        ? a.value.portSpecifier.value
        : 0,
    group: fx.registry.list().find((p) => p.nodeId === id)?.group,
  };
}

describe('Envoy node roles over plaintext ADS', () => {
  it('binds a sidecar to 127.0.0.1 and a gateway (announced or not) to 0.0.0.0, on the same port', async () => {
    expect(await listenerOf('sidecar-0', { 'switchyard.role': 'sidecar' })).toEqual({
      bound: '127.0.0.1',
      port: 10000,
      group: 'envoy+sidecar',
    });
    expect(await listenerOf('gateway-0', { 'switchyard.role': 'gateway' })).toEqual({
      bound: '0.0.0.0',
      port: 10000,
      group: 'envoy',
    });
    expect(await listenerOf('plain-0')).toEqual({ bound: '0.0.0.0', port: 10000, group: 'envoy' });
  });
});
