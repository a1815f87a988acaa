// The xDS rules of docs/XDS.md against the incremental (delta) ADS stream.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import type { DeltaDiscoveryResponse } from '../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { DeltaClient, resourceName } from '../helpers/ads-client.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { cluster, mergeSets, modelSet } from '../helpers/xds-resources.js';

let fx: XdsFixture;
const clients: DeltaClient[] = [];
function connect(id = 'envoy-d'): DeltaClient {
  const c = new DeltaClient(fx.address, { id });
  clients.push(c);
  return c;
}
const names = (r: DeltaDiscoveryResponse) => r.resources.map((x) => x.name);
const two = () =>
  modelSet('resnet', { v1: { weight: 80, ports: [9001] }, v2: { weight: 20, ports: [9002] } });
const bert = () => modelSet('bert', { v1: { weight: 1, ports: [9003] } });

beforeEach(async () => {
  fx = await startXds();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fx.close();
});

describe('delta xDS', () => {
  it('answers a legacy wildcard CDS request with every cluster and per-resource versions', async () => {
    const snap = fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    const r = await c.next();
    expect(names(r)).toEqual(['resnet/v1', 'resnet/v2']);
    expect(r.nonce).not.toBe('');
    expect(r.systemVersionInfo).toBe(snap.type(TYPE.CDS).version);
    for (const res of r.resources) {
      expect(res.version).toBe(snap.type(TYPE.CDS).resources.get(res.name)!.version);
      expect(resourceName(TYPE.CDS, res.resource!.value)).toBe(res.name);
    }
  });

  it('sends only changes, and removals as removed_resources', async () => {
    fx.publish('envoy', mergeSets(two(), bert()));
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    c.ack(await c.next());
    fx.publish('envoy', mergeSets(two(), modelSet('gpt', { v1: { weight: 1, ports: [9004] } })));
    const r = await c.next();
    expect(names(r)).toEqual(['gpt/v1']);
    expect(r.removedResources).toEqual(['bert/v1']);
  });

  it('handles named subscribe and unsubscribe, and answers every subscribe', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.EDS, resourceNamesSubscribe: ['resnet/v1'] });
    const r1 = await c.next();
    expect(names(r1)).toEqual(['resnet/v1']);
    c.ack(r1);
    c.send({ typeUrl: TYPE.EDS, resourceNamesSubscribe: ['resnet/v2'] });
    const r2 = await c.next();
    expect(names(r2)).toEqual(['resnet/v2']);
    c.ack(r2);
    // Subscribing again to something already held at its current version: still answered.
    c.send({ typeUrl: TYPE.EDS, resourceNamesSubscribe: ['resnet/v2'] });
    const r3 = await c.next();
    expect(r3.resources).toHaveLength(0);
    expect(r3.nonce).not.toBe('');
    c.ack(r3);
    c.send({ typeUrl: TYPE.EDS, resourceNamesUnsubscribe: ['resnet/v1'] });
    expect(await c.quiet()).toBe(true);
    fx.publish(
      'envoy',
      modelSet('resnet', { v1: { weight: 80, ports: [9011] }, v2: { weight: 20, ports: [9002] } }),
    );
    expect(await c.quiet()).toBe(true); // only the unsubscribed resnet/v1 changed
  });

  it('reports a subscribed name that does not exist, then sends it when it appears', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.EDS, resourceNamesSubscribe: ['bert/v1'] });
    const r1 = await c.next();
    expect(r1.resources).toHaveLength(0);
    expect(r1.removedResources).toEqual(['bert/v1']);
    c.ack(r1);
    expect(await c.quiet()).toBe(true);
    fx.publish('envoy', mergeSets(two(), bert()));
    expect(names(await c.next())).toEqual(['bert/v1']);
  });

  it('caches the node from the first request only', async () => {
    fx.publish('envoy', two());
    const c = connect('node-first-only');
    c.send({ typeUrl: TYPE.CDS });
    c.ack(await c.next());
    c.send({ typeUrl: TYPE.EDS, resourceNamesSubscribe: ['resnet/v1'] }); // no node on this one
    expect(names(await c.next())).toEqual(['resnet/v1']);
    const p = fx.registry.list().find((x) => x.nodeId === 'node-first-only');
    expect(p?.protocol).toBe('delta');
    expect(p?.types.EDS?.sent).toBeDefined();
  });

  it('keeps the last good version after a NACK and does not resend the rejected one', async () => {
    fx.publish('envoy', two());
    const c = connect('delta-nack');
    c.send({ typeUrl: TYPE.CDS });
    c.ack(await c.next());
    fx.publish('envoy', mergeSets(two(), bert()));
    const bad = await c.next();
    expect(names(bad)).toEqual(['bert/v1']);
    c.send({
      typeUrl: TYPE.CDS,
      responseNonce: bad.nonce,
      errorDetail: { code: 3, message: 'bert/v1 rejected' },
    });
    expect(await c.quiet()).toBe(true);
    // A later change elsewhere in CDS does not drag the rejected version along.
    fx.publish('envoy', mergeSets(two(), bert(), modelSet('gpt', { v1: { weight: 1, ports: [9004] } })));
    const next = await c.next();
    expect(names(next)).toEqual(['gpt/v1']);
    expect(fx.registry.lastNacks('delta-nack').CDS?.message).toBe('bert/v1 rejected');
  });

  it('sends on reconnect only what differs from initial_resource_versions', async () => {
    const snap = fx.publish('envoy', two());
    const c = connect('delta-re');
    const v1 = snap.type(TYPE.CDS).resources.get('resnet/v1')!.version;
    c.send({ typeUrl: TYPE.CDS, initialResourceVersions: { 'resnet/v1': v1, 'resnet/gone': 'abc' } });
    const r = await c.next();
    expect(names(r)).toEqual(['resnet/v2']);
    expect(r.removedResources).toEqual(['resnet/gone']);
  });

  it("resends a changed cluster's EDS even though the assignment did not change", async () => {
    const base = two();
    fx.publish('envoy', base);
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    c.ack(await c.next());
    c.send({ typeUrl: TYPE.EDS, resourceNamesSubscribe: ['resnet/v1', 'resnet/v2'] });
    const e1 = await c.next();
    c.ack(e1);
    // A new message object: the encoder treats published messages as immutable.
    const changed = cluster('resnet/v1');
    changed.altStatName = 'changed';
    fx.publish('envoy', { ...base, clusters: [changed, base.clusters[1]!] });
    const cds = await c.next();
    expect(names(cds)).toEqual(['resnet/v1']);
    const eds = await c.next();
    expect(eds.typeUrl).toBe(TYPE.EDS);
    expect(names(eds)).toEqual(['resnet/v1']);
  });

  it('ignores an ACK with an unknown nonce', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    await c.next();
    c.send({ typeUrl: TYPE.CDS, responseNonce: 'not-a-nonce-we-sent' });
    expect(await c.quiet()).toBe(true);
    expect(fx.events.some((e) => e.kind === 'stale' && e.detail === 'not-a-nonce-we-sent')).toBe(true);
  });
});
