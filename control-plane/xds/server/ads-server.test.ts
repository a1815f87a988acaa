// The ADS service's wiring (ads-server.ts) through a real grpc-js server and real clients on
// loopback: what a stream's context holds at each callback, attaching to the node group and
// letting go of it, admission and the per-client stream limit, and the end of a stream.
// test/xds/limits.test.ts covers streams per connection and slow readers.
import { connect as h2connect } from 'node:http2';
import { status as Status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DeltaClient, namesOf, SotwClient } from '../../../test/helpers/ads-client.js';
import { waitFor } from '../../../test/helpers/control-plane.js';
import { openRawAds } from '../../../test/helpers/raw-ads.js';
import { modelSet } from '../../../test/helpers/xds-resources.js';
import { closeAll, startServer } from '../../../test/helpers/xds-server.js';
import { TYPE } from '../resource-types.js';
import type { StreamContext } from './stream-context.js';

const one = modelSet('resnet', { v1: { weight: 100, ports: [9001] } });
const two = modelSet('resnet', { v1: { weight: 50, ports: [9001] }, v2: { weight: 50, ports: [9002] } });

type Client = SotwClient | DeltaClient;
const clients: Client[] = [];
const track = <C extends Client>(c: C): C => {
  clients.push(c);
  return c;
};

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await closeAll();
});

describe('XdsServer streams', () => {
  it('identifies a SotW stream by its first request, serves its group and lets go of it on close', async () => {
    const h = await startServer();
    h.publish('envoy', one);
    const before = Date.now();
    const c = track(new SotwClient(h.address, { id: 'n1' }));
    c.send({ typeUrl: TYPE.CDS });
    const r1 = await c.next();
    expect(namesOf(r1)).toEqual(['resnet/v1']);
    const [open, identified] = h.events;
    expect(open).toEqual({
      kind: 'open',
      ctx: {
        id: 1,
        protocol: 'sotw',
        peer: expect.stringMatching(/127\.0\.0\.1:\d+$/),
        openedAt: expect.any(Number),
      },
      args: [],
    });
    expect(open!.ctx.openedAt).toBeGreaterThanOrEqual(before);
    expect(open!.ctx.openedAt).toBeLessThanOrEqual(Date.now());
    expect(identified!.kind).toBe('identified');
    expect(identified!.ctx.node?.id).toBe('n1');
    expect(identified!.ctx).toMatchObject({
      flavor: 'envoy',
      client: { family: 'envoy', version: '' },
      group: 'envoy',
    });
    expect(h.server.streamCount).toBe(1);
    expect([...h.server.unflushedResponses()]).toEqual([[1, 0]]);
    // A new snapshot of the group reaches the stream.
    c.ack(r1);
    await waitFor(() => h.kinds().includes('ack'), 5000, 'the ACK');
    expect(h.publish('envoy', two).watchers).toBe(1);
    expect(namesOf(await c.next())).toEqual(['resnet/v1', 'resnet/v2']);
    c.close();
    await waitFor(() => h.kinds().includes('close'), 5000, 'the stream to close');
    expect(h.kinds(1)).toEqual(['open', 'identified', 'ack', 'close']);
    // Without a clock of its own the server measures ACK latency on the monotonic clock.
    const [type, version, latency] = h.events.find((e) => e.kind === 'ack')!.args as [string, string, number];
    expect([type, version]).toEqual([TYPE.CDS, r1.versionInfo]);
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(60_000);
    expect(h.server.streamCount).toBe(0);
    expect(h.server.unflushedResponses().size).toBe(0);
    // Nothing watches the group for the closed stream any more.
    expect(h.publish('envoy', one).watchers).toBe(0);
  });

  it('numbers streams, marks delta ones, and sets flavor and client before asking for the group', async () => {
    const seen: StreamContext[] = [];
    const h = await startServer({
      groupOf: (ctx) => {
        seen.push({ ...ctx });
        return 'custom';
      },
    });
    h.publish('custom', one);
    const a = track(new SotwClient(h.address, { id: 'g1', userAgentName: 'gRPC Node Pure JS' }));
    a.send({ typeUrl: TYPE.CDS });
    expect(namesOf(await a.next())).toEqual(['resnet/v1']);
    const b = track(new DeltaClient(h.address, { id: 'g2', userAgentName: 'envoy' }));
    b.send({ typeUrl: TYPE.CDS });
    expect((await b.next()).resources.map((r) => r.name)).toEqual(['resnet/v1']);
    expect(
      seen.map(({ id, protocol, flavor, client, group }) => ({ id, protocol, flavor, client, group })),
    ).toEqual([
      {
        id: 1,
        protocol: 'sotw',
        flavor: 'grpc',
        client: { family: 'grpc-js', version: '' },
        group: undefined,
      },
      {
        id: 2,
        protocol: 'delta',
        flavor: 'envoy',
        client: { family: 'envoy', version: '' },
        group: undefined,
      },
    ]);
    expect(h.events.filter((e) => e.kind === 'identified').map((e) => [e.ctx.id, e.ctx.group])).toEqual([
      [1, 'custom'],
      [2, 'custom'],
    ]);
  });

  it('filters per stream and measures ACK latency on the clock it is given', async () => {
    let clock = 1000;
    const h = await startServer({ now: () => clock, filterFor: () => (_type, name) => name !== 'resnet/v2' });
    h.publish('envoy', two);
    const c = track(new SotwClient(h.address, { id: 'n1' }));
    c.send({ typeUrl: TYPE.CDS });
    const r = await c.next();
    expect(namesOf(r)).toEqual(['resnet/v1']);
    clock = 1250;
    c.ack(r);
    await waitFor(() => h.kinds().includes('ack'), 5000, 'the ACK');
    expect(h.events.find((e) => e.kind === 'ack')!.args).toEqual([TYPE.CDS, r.versionInfo, 250]);
  });

  it('ends a stream the client half-closes with OK, reporting the close once', async () => {
    const h = await startServer();
    h.publish('envoy', one);
    const session = h2connect(`http://${h.address}`);
    try {
      const st = openRawAds(session, 'n1');
      st.subscribe(TYPE.CDS);
      await waitFor(() => st.responses.length === 1, 5000, 'the first response');
      st.stream.end();
      expect((await st.ended).status).toBe(Status.OK);
      await waitFor(() => h.server.streamCount === 0, 5000, 'the stream to go');
      expect(h.kinds()).toEqual(['open', 'identified', 'close']);
    } finally {
      session.destroy();
    }
  });
});

describe('XdsServer without callbacks', () => {
  for (const hooks of ['none', 'empty'] as const) {
    it(`serves, refuses and closes streams with ${hooks === 'none' ? 'no callback set' : 'an empty one'}`, async () => {
      const h = await startServer(
        {
          admit: (_ctx, node) =>
            node?.id === 'bad' ? { ok: false, code: Status.PERMISSION_DENIED, reason: 'no' } : { ok: true },
        },
        hooks,
      );
      h.publish('envoy', one);
      const good = track(new SotwClient(h.address, { id: 'good' }));
      good.send({ typeUrl: TYPE.CDS });
      good.ack(await good.next());
      const bad = track(new SotwClient(h.address, { id: 'bad' }));
      bad.send({ typeUrl: TYPE.CDS });
      await waitFor(() => bad.ended, 5000, 'the refused stream to end');
      expect(bad.error?.code).toBe(Status.PERMISSION_DENIED);
      good.close();
      await waitFor(() => h.server.streamCount === 0, 5000, 'both streams to go');
      expect(h.events).toEqual([]);
    });
  }
});

describe('XdsServer admission', () => {
  it('asks admit once per stream, with the node and no certificate on plaintext; a refused stream gets nothing', async () => {
    const asked: Array<{ id: number; node?: string; peer: unknown }> = [];
    const h = await startServer({
      admit: (ctx, node, peer) => {
        asked.push({ id: ctx.id, ...(node ? { node: node.id } : {}), peer });
        return node?.id === 'bad'
          ? { ok: false, code: Status.PERMISSION_DENIED, reason: 'node bad is not allowed' }
          : { ok: true };
      },
    });
    h.publish('envoy', one);
    const good = track(new SotwClient(h.address, { id: 'good' }));
    good.send({ typeUrl: TYPE.CDS });
    good.ack(await good.next());
    good.send({ typeUrl: TYPE.EDS, resourceNames: ['resnet/v1'] });
    await good.next();
    const bad = track(new SotwClient(h.address, { id: 'bad' }));
    bad.send({ typeUrl: TYPE.CDS });
    await waitFor(() => bad.ended, 5000, 'the refused stream to end');
    expect(bad.error).toEqual({ code: Status.PERMISSION_DENIED, details: 'node bad is not allowed' });
    expect(bad.responses.all).toEqual([]);
    expect(asked).toEqual([
      { id: 1, node: 'good', peer: undefined },
      { id: 2, node: 'bad', peer: undefined },
    ]);
    await waitFor(() => h.kinds(2).includes('close'), 5000, 'the refused stream to close');
    expect(h.kinds(2)).toEqual(['open', 'refused', 'close']);
    expect(h.events.find((e) => e.kind === 'refused')!.args).toEqual([
      Status.PERMISSION_DENIED,
      'node bad is not allowed',
    ]);
    expect(h.server.streamCount).toBe(1);
  });

  it('ignores whatever a refused stream sends after its first request', async () => {
    let asked = 0;
    const h = await startServer({
      admit: () => {
        asked++;
        return { ok: false, code: Status.PERMISSION_DENIED, reason: 'no' };
      },
    });
    const session = h2connect(`http://${h.address}`);
    try {
      const st = openRawAds(session, 'n1');
      // Both requests leave in one write burst, so the second arrives before the stream ends.
      st.subscribe(TYPE.CDS);
      st.subscribe(TYPE.EDS, ['x']);
      expect((await st.ended).status).toBe(Status.PERMISSION_DENIED);
      await waitFor(() => h.server.streamCount === 0, 5000, 'the stream to go');
      expect(asked).toBe(1);
      expect(h.kinds()).toEqual(['open', 'refused', 'close']);
    } finally {
      session.destroy();
    }
  });

  it('counts streams against the verified identity, and only an admitted stream gives its slot back', async () => {
    const groupSaw: Array<string | undefined> = [];
    const h = await startServer({
      limits: { maxStreamsPerClient: 1 },
      admit: () => ({ ok: true, identity: 'spiffe://sy/ns/a' }),
      groupOf: (ctx) => {
        groupSaw.push(ctx.identity);
        return 'envoy';
      },
    });
    h.publish('envoy', one);
    const a = track(new SotwClient(h.address, { id: 'n1' }));
    a.send({ typeUrl: TYPE.CDS });
    await a.next();
    expect(groupSaw).toEqual(['spiffe://sy/ns/a']);
    const refusal = {
      code: Status.RESOURCE_EXHAUSTED,
      details:
        'xDS stream refused: identity spiffe://sy/ns/a already holds 1 streams (--xds-max-streams-per-client)',
    };
    // Another node id with the same certificate identity is the same client.
    for (const id of ['n2', 'n3']) {
      const b = track(new SotwClient(h.address, { id }));
      b.send({ typeUrl: TYPE.CDS });
      await waitFor(() => b.ended, 5000, `${id} to be refused`);
      expect(b.error).toEqual(refusal);
    }
    a.close();
    await waitFor(() => h.server.streamCount === 0, 5000, 'the first stream to go');
    const d = track(new SotwClient(h.address, { id: 'n4' }));
    d.send({ typeUrl: TYPE.CDS });
    expect(namesOf(await d.next())).toEqual(['resnet/v1']);
    expect(groupSaw).toEqual(['spiffe://sy/ns/a', 'spiffe://sy/ns/a']);
  });
});
