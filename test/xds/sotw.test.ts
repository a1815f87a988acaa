// The xDS rules of docs/XDS.md against the state-of-the-world ADS stream, with a raw client that
// scripts every request.
import { create } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { namesOf, SotwClient } from '../helpers/ads-client.js';
import { waitFor } from '../helpers/control-plane.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { cluster, endpoints, listener, mergeSets, modelSet, route } from '../helpers/xds-resources.js';

let fx: XdsFixture;
const clients: SotwClient[] = [];
function connect(id = 'envoy-1', userAgentName = 'envoy'): SotwClient {
  const c = new SotwClient(fx.address, { id, userAgentName });
  clients.push(c);
  return c;
}

const two = () =>
  modelSet('resnet', { v1: { weight: 80, ports: [9001] }, v2: { weight: 20, ports: [9002] } });

beforeEach(async () => {
  fx = await startXds();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fx.close();
});

describe('state of the world', () => {
  it('answers a wildcard CDS request with the full set, a content version and a nonce', async () => {
    const snap = fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    const res = await c.next();
    expect(res.typeUrl).toBe(TYPE.CDS);
    expect(namesOf(res)).toEqual(['resnet/v1', 'resnet/v2']);
    expect(res.versionInfo).toBe(snap.type(TYPE.CDS).version);
    expect(res.nonce).not.toBe('');
  });

  it('derives versions from content: a second cache (a restart or a replica) agrees', async () => {
    const a = fx.publish('envoy', two());
    const other = await startXds();
    try {
      const b = other.publish('envoy', two());
      expect(b.version).toBe(a.version);
      for (const t of Object.values(TYPE)) expect(b.type(t).version).toBe(a.type(t).version);
      const changed = other.publish(
        'envoy',
        modelSet('resnet', { v1: { weight: 50, ports: [9001] }, v2: { weight: 50, ports: [9002] } }),
      );
      expect(changed.type(TYPE.RDS).version).not.toBe(a.type(TYPE.RDS).version);
      expect(changed.type(TYPE.CDS).version).toBe(a.type(TYPE.CDS).version);
    } finally {
      await other.close();
    }
  });

  it('uses a fresh nonce per response and ignores requests with a stale nonce', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    const first = await c.next();
    c.ack(first);
    fx.publish('envoy', mergeSets(two(), modelSet('bert', { v1: { weight: 1, ports: [9003] } })));
    const second = await c.next();
    expect(second.nonce).not.toBe(first.nonce);
    // A request still carrying the first nonce (as if crossed in flight) changes nothing.
    c.send({
      typeUrl: TYPE.CDS,
      responseNonce: first.nonce,
      versionInfo: first.versionInfo,
      resourceNames: ['bert/v1'],
    });
    expect(await c.quiet()).toBe(true);
    expect(fx.events.some((e) => e.kind === 'stale' && e.detail === first.nonce)).toBe(true);
    c.ack(second);
    expect(await c.quiet()).toBe(true);
  });

  it('keeps the last good version after a NACK, never resends the rejected one, and records it', async () => {
    fx.publish('envoy', two());
    const c = connect('envoy-nack');
    c.send({ typeUrl: TYPE.CDS });
    const good = await c.next();
    c.ack(good);
    c.send({ typeUrl: TYPE.RDS, resourceNames: ['resnet'] });
    c.ack(await c.next(), ['resnet']);
    const bad = mergeSets(two(), modelSet('bert', { v1: { weight: 1, ports: [9003] } }));
    fx.publish('envoy', bad);
    const rejected = await c.next();
    c.nack(rejected, good.versionInfo, 'cluster bert/v1: invalid something');
    expect(await c.quiet()).toBe(true);
    // Another type changing must not drag the rejected clusters out again.
    const routesChanged = mergeSets(
      modelSet('resnet', { v1: { weight: 10, ports: [9001] }, v2: { weight: 90, ports: [9002] } }),
      modelSet('bert', { v1: { weight: 1, ports: [9003] } }),
    );
    fx.publish('envoy', routesChanged);
    const rds = await c.next();
    expect(rds.typeUrl).toBe(TYPE.RDS);
    c.ack(rds, ['resnet']);
    expect(await c.quiet()).toBe(true);
    const status = fx.registry.list().find((p) => p.nodeId === 'envoy-nack')!;
    expect(status.types.CDS?.lastNack?.message).toBe('cluster bert/v1: invalid something');
    expect(status.types.CDS?.acked).toBe(good.versionInfo);
    expect(status.types.CDS?.sent).toBe(rejected.versionInfo);
    expect(fx.registry.lastNacks('envoy-nack').CDS?.version).toBe(rejected.versionInfo);
    // New content is sent again.
    fx.publish('envoy', mergeSets(routesChanged, modelSet('gpt', { v1: { weight: 1, ports: [9004] } })));
    const next = await c.next();
    expect(next.typeUrl).toBe(TYPE.CDS);
    expect(namesOf(next)).toContain('gpt/v1');
  });

  it('stays silent when content it NACKed comes back after the client ACKed something newer', async () => {
    const withModel = (name: string, port: number, resnet = two()) =>
      mergeSets(resnet, modelSet(name, { v1: { weight: 1, ports: [port] } }));
    fx.publish('envoy', two());
    const c = connect('envoy-renack');
    c.send({ typeUrl: TYPE.CDS });
    const a = await c.next();
    c.ack(a);
    c.send({ typeUrl: TYPE.RDS, resourceNames: ['resnet'] });
    c.ack(await c.next(), ['resnet']);
    fx.publish('envoy', withModel('bert', 9003));
    const b = await c.next();
    expect(namesOf(b)).toContain('bert/v1');
    c.nack(b, a.versionInfo, 'cluster bert/v1: invalid something');
    // Published before the server read the NACK, C would make the NACK stale (another nonce).
    await waitFor(() => fx.events.some((e) => e.kind === 'nack'), 10_000, 'the NACK of B');
    fx.publish('envoy', withModel('gpt', 9004));
    const cAcked = await c.next();
    expect(cAcked.typeUrl).toBe(TYPE.CDS);
    expect(namesOf(cAcked)).toContain('gpt/v1');
    c.ack(cAcked);
    await waitFor(
      () => fx.events.some((e) => e.kind === 'ack' && e.detail === cAcked.versionInfo),
      10_000,
      'the ACK of C',
    );
    // B's clusters again, in the same snapshot as a route change: responses go out CDS first,
    // so a resend of the refused clusters would arrive before the routes. Only the routes come.
    const resnet = modelSet('resnet', {
      v1: { weight: 10, ports: [9001] },
      v2: { weight: 90, ports: [9002] },
    });
    fx.publish('envoy', withModel('bert', 9003, resnet));
    const next = await c.next();
    expect(next.typeUrl).toBe(TYPE.RDS);
    c.ack(next, ['resnet']);
    // And the stream still serves new clusters.
    fx.publish('envoy', withModel('llama', 9005, resnet));
    const d = await c.next();
    expect(d.typeUrl).toBe(TYPE.CDS);
    expect(namesOf(d)).toEqual(['llama/v1', 'resnet/v1', 'resnet/v2']);
  });

  it('sends only requested RDS/EDS names, newly subscribed names even if unchanged, and late names when they appear', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.EDS, resourceNames: ['resnet/v1'] });
    const r1 = await c.next();
    expect(namesOf(r1)).toEqual(['resnet/v1']);
    c.ack(r1, ['resnet/v1']);
    expect(await c.quiet()).toBe(true);
    // Adding an unchanged, existing name is answered at once.
    c.send({
      typeUrl: TYPE.EDS,
      responseNonce: r1.nonce,
      versionInfo: r1.versionInfo,
      resourceNames: ['resnet/v1', 'resnet/v2'],
    });
    const r2 = await c.next();
    expect(namesOf(r2)).toEqual(['resnet/v1', 'resnet/v2']);
    c.ack(r2, ['resnet/v1', 'resnet/v2', 'bert/v1']);
    // A name that does not exist yet is remembered and sent when it appears.
    expect(await c.quiet()).toBe(true);
    fx.publish('envoy', mergeSets(two(), modelSet('bert', { v1: { weight: 1, ports: [9003] } })));
    const r3 = await c.next();
    expect(namesOf(r3)).toEqual(['bert/v1', 'resnet/v1', 'resnet/v2']);
  });

  it('stops sending a name after unsubscribe, and an empty list after names unsubscribes all', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.EDS, resourceNames: ['resnet/v1', 'resnet/v2'] });
    const r1 = await c.next();
    c.ack(r1, ['resnet/v2']);
    expect(await c.quiet()).toBe(true);
    const moved = modelSet('resnet', {
      v1: { weight: 80, ports: [9011] },
      v2: { weight: 20, ports: [9002] },
    });
    fx.publish('envoy', moved);
    expect(await c.quiet()).toBe(true); // only resnet/v1 changed, and it is unsubscribed
    c.send({ typeUrl: TYPE.LDS, resourceNames: ['resnet'] });
    const l1 = await c.next();
    expect(namesOf(l1)).toEqual(['resnet']);
    c.ack(l1, []);
    fx.publish('envoy', mergeSets(moved, { ...modelSet('bert', { v1: { weight: 1, ports: [9003] } }) }));
    expect(await c.quiet()).toBe(true);
  });

  it('treats a first empty LDS request as wildcard and keeps it across empty ACKs', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.LDS });
    const l1 = await c.next();
    expect(namesOf(l1)).toEqual(['resnet']);
    c.ack(l1);
    fx.publish('envoy', mergeSets(two(), modelSet('bert', { v1: { weight: 1, ports: [9003] } })));
    const l2 = await c.next();
    expect(namesOf(l2)).toEqual(['bert', 'resnet']);
  });

  it('pushes a change in CDS -> EDS -> LDS -> RDS order', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    c.ack(await c.next());
    c.send({ typeUrl: TYPE.EDS, resourceNames: ['resnet/v1', 'resnet/v2', 'bert/v1'] });
    c.ack(await c.next(), ['resnet/v1', 'resnet/v2', 'bert/v1']);
    c.send({ typeUrl: TYPE.LDS });
    c.ack(await c.next());
    c.send({ typeUrl: TYPE.RDS, resourceNames: ['resnet', 'bert'] });
    c.ack(await c.next(), ['resnet', 'bert']);
    expect(await c.quiet()).toBe(true);
    fx.publish('envoy', mergeSets(two(), modelSet('bert', { v1: { weight: 1, ports: [9003] } })));
    const order = [];
    for (let i = 0; i < 4; i++) order.push((await c.next()).typeUrl);
    expect(order).toEqual([TYPE.CDS, TYPE.EDS, TYPE.LDS, TYPE.RDS]);
  });

  it('makes before it breaks: a cluster leaves CDS only after the client ACKed routes without it', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    c.ack(await c.next());
    c.send({ typeUrl: TYPE.RDS, resourceNames: ['resnet'] });
    c.ack(await c.next(), ['resnet']);
    // v2 goes away: the route stops using it in the same snapshot.
    const onlyV1 = modelSet('resnet', { v1: { weight: 100, ports: [9001] } });
    fx.publish('envoy', onlyV1);
    const rds = await c.next(); // CDS did not change yet: v2 is still routed to by the held route
    expect(rds.typeUrl).toBe(TYPE.RDS);
    expect(fx.registry.list()[0]!.types.CDS?.sent).not.toBe(undefined);
    expect(await c.quiet(200)).toBe(true);
    c.ack(rds, ['resnet']);
    const cds = await c.next();
    expect(cds.typeUrl).toBe(TYPE.CDS);
    expect(namesOf(cds)).toEqual(['resnet/v1']);
  });

  it('keeps a removed cluster with a distinct version while held routes use it', async () => {
    fx.publish('envoy', two());
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    c.ack(await c.next());
    c.send({ typeUrl: TYPE.RDS, resourceNames: ['resnet'] });
    c.ack(await c.next(), ['resnet']);
    // A new cluster appears while v2 leaves: CDS changes, and must still carry v2.
    const next = mergeSets(
      modelSet('resnet', { v1: { weight: 100, ports: [9001] } }),
      modelSet('bert', { v1: { weight: 1, ports: [9003] } }),
    );
    const snap = fx.publish('envoy', next);
    const cds = await c.next();
    expect(cds.typeUrl).toBe(TYPE.CDS);
    expect(namesOf(cds)).toEqual(['bert/v1', 'resnet/v1', 'resnet/v2']);
    expect(cds.versionInfo.startsWith(`${snap.type(TYPE.CDS).version}+`)).toBe(true);
    c.ack(cds);
    const rds = await c.next();
    expect(rds.typeUrl).toBe(TYPE.RDS);
    c.ack(rds, ['resnet']);
    const final = await c.next();
    expect(namesOf(final)).toEqual(['bert/v1', 'resnet/v1']);
    expect(final.versionInfo).toBe(snap.type(TYPE.CDS).version);
  });

  it('resends EDS after a CDS change and RDS after an LDS change, even when they did not change', async () => {
    const base = two();
    fx.publish('envoy', base);
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    c.ack(await c.next());
    c.send({ typeUrl: TYPE.EDS, resourceNames: ['resnet/v1', 'resnet/v2'] });
    const e1 = await c.next();
    c.ack(e1, ['resnet/v1', 'resnet/v2']);
    c.send({ typeUrl: TYPE.LDS });
    c.ack(await c.next());
    c.send({ typeUrl: TYPE.RDS, resourceNames: ['resnet'] });
    const r1 = await c.next();
    c.ack(r1, ['resnet']);
    expect(await c.quiet()).toBe(true);
    const slower = cluster('resnet/v1');
    slower.connectTimeout = create(DurationSchema, { seconds: 5n });
    fx.publish('envoy', { ...base, clusters: [slower, base.clusters[1]!] });
    const cds = await c.next();
    expect(cds.typeUrl).toBe(TYPE.CDS);
    const eds = await c.next();
    expect(eds.typeUrl).toBe(TYPE.EDS);
    expect(eds.versionInfo).toBe(e1.versionInfo);
    expect(namesOf(eds)).toEqual(['resnet/v1', 'resnet/v2']);
    c.ack(cds);
    c.ack(eds, ['resnet/v1', 'resnet/v2']);
    expect(await c.quiet()).toBe(true);
    const l = listener('resnet', 'resnet');
    l.statPrefix = 'changed';
    fx.publish('envoy', { ...base, clusters: [slower, base.clusters[1]!], listeners: [l] });
    const lds = await c.next();
    expect(lds.typeUrl).toBe(TYPE.LDS);
    const rds = await c.next();
    expect(rds.typeUrl).toBe(TYPE.RDS);
    expect(rds.versionInfo).toBe(r1.versionInfo);
  });

  it('answers the first request after a reconnect even when the client already has that version', async () => {
    fx.publish('envoy', two());
    const c1 = connect('envoy-re');
    c1.send({ typeUrl: TYPE.CDS });
    const r = await c1.next();
    c1.ack(r);
    c1.close();
    const c2 = connect('envoy-re');
    c2.send({ typeUrl: TYPE.CDS, versionInfo: r.versionInfo });
    const again = await c2.next();
    expect(again.versionInfo).toBe(r.versionInfo);
    expect(namesOf(again)).toEqual(['resnet/v1', 'resnet/v2']);
  });

  it('answers a stream that subscribed before the first snapshot as soon as one is published', async () => {
    const c = connect();
    c.send({ typeUrl: TYPE.CDS });
    expect(await c.quiet(200)).toBe(true);
    fx.publish('envoy', two());
    expect(namesOf(await c.next())).toEqual(['resnet/v1', 'resnet/v2']);
  });

  it('serves each flavor its own group', async () => {
    fx.publish('envoy', two());
    fx.publish('grpc', modelSet('only-grpc', { v1: { weight: 1, ports: [9009] } }));
    const g = connect('grpc-1', 'gRPC Node Pure-JS');
    g.send({ typeUrl: TYPE.LDS, resourceNames: ['only-grpc'] });
    expect(namesOf(await g.next())).toEqual(['only-grpc']);
    expect(fx.registry.list().find((p) => p.nodeId === 'grpc-1')?.flavor).toBe('grpc');
  });

  it('shares one encoded Any per resource version across streams', async () => {
    const set = two();
    const snap = fx.publish('envoy', set);
    const encoded = fx.encoder('envoy').encodedCount;
    expect(encoded).toBe(6); // 1 listener, 1 route, 2 clusters, 2 endpoints
    const streams = [connect('a'), connect('b'), connect('c')];
    const got = await Promise.all(
      streams.map(async (s) => {
        s.send({ typeUrl: TYPE.CDS });
        return s.next();
      }),
    );
    for (const g of got) expect(g.versionInfo).toBe(snap.type(TYPE.CDS).version);
    expect(fx.encoder('envoy').encodedCount).toBe(encoded);
    // Publishing the same message objects again encodes nothing; an equal rebuilt set re-encodes
    // but shares the stored Any.
    fx.publish('envoy', set);
    expect(fx.encoder('envoy').encodedCount).toBe(encoded);
    const again = fx.publish('envoy', two());
    expect(again.type(TYPE.CDS).resources.get('resnet/v1')!.any).toBe(
      snap.type(TYPE.CDS).resources.get('resnet/v1')!.any,
    );
  });
});

describe('snapshot consistency', () => {
  it('refuses a snapshot whose routes name a missing cluster, and keeps the old one serving', async () => {
    const good = fx.publish('envoy', two());
    const broken = {
      ...two(),
      clusters: [cluster('resnet/v1')],
      endpoints: [endpoints('resnet/v1', [9001])],
    };
    expect(() => fx.publish('envoy', broken)).toThrowError(
      /routes\[resnet\]: routes to missing cluster "resnet\/v2"/,
    );
    expect(fx.cache.get('envoy')?.version).toBe(good.version);
  });

  it('refuses clusters without endpoints and listeners without routes', () => {
    const noEds = { ...two(), endpoints: [endpoints('resnet/v1', [9001])] };
    expect(() => fx.publish('envoy', noEds)).toThrowError(/clusters\[resnet\/v2\]: names missing endpoints/);
    const noRoute = { ...two(), routes: [route('other', { 'resnet/v1': 1 })] };
    expect(() => fx.publish('envoy', noRoute)).toThrowError(
      /listeners\[resnet\]: names missing route configuration "resnet"/,
    );
  });
});
