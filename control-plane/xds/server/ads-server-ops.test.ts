// The ADS server's outward side (ads-server.ts) through a real grpc-js server on loopback: the
// ports it binds, the HTTP/2 and gRPC settings it starts with, services sharing its port, what it
// reports about its streams, and shutting down with streams open.
import { type ClientHttp2Session, constants as h2, connect as h2connect } from 'node:http2';
import { Client, credentials, type ServiceDefinition, status as Status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../kernel/errors/index.js';
import { namesOf, SotwClient } from '../../../test/helpers/ads-client.js';
import { waitFor } from '../../../test/helpers/control-plane.js';
import { openRawAds } from '../../../test/helpers/raw-ads.js';
import { modelSet } from '../../../test/helpers/xds-resources.js';
import { closeAll, startServer } from '../../../test/helpers/xds-server.js';
import { TYPE } from '../resource-types.js';

const one = modelSet('resnet', { v1: { weight: 100, ports: [9001] } });
const clients: SotwClient[] = [];
const sessions: ClientHttp2Session[] = [];
const track = (c: SotwClient) => {
  clients.push(c);
  return c;
};

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sessions.splice(0)) s.destroy();
  await closeAll();
});

async function remoteMaxStreams(address: string): Promise<number | undefined> {
  const s = h2connect(`http://${address}`);
  s.on('error', () => {});
  sessions.push(s);
  await new Promise<void>((r) => s.once('remoteSettings', () => r()));
  return s.remoteSettings.maxConcurrentStreams;
}

/** A unary method whose messages are raw bytes: the reply is the request reversed. */
const ECHO: ServiceDefinition = {
  reverse: {
    path: '/test.Echo/Reverse',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

describe('XdsServer ports', () => {
  it('binds an IPv6 address, and keeps the first bound port as its port', async () => {
    const h = await startServer();
    h.publish('envoy', one);
    const first = Number(h.address.split(':').at(-1));
    expect(h.server.boundPort).toBe(first);
    const second = await h.server.listen('::1', 0);
    expect(second).not.toBe(first);
    expect(h.server.boundPort).toBe(first);
    const c = track(new SotwClient(`[::1]:${second}`, { id: 'v6' }));
    c.send({ typeUrl: TYPE.CDS });
    expect(namesOf(await c.next())).toEqual(['resnet/v1']);
  });

  it('refuses a port that is taken with an UnavailableError naming it', async () => {
    const h = await startServer();
    const port = h.server.boundPort;
    const other = await startServer();
    const err = await other.server.listen('127.0.0.1', port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(
      new RegExp(`^xDS server cannot listen on 127\\.0\\.0\\.1:${port}: `),
    );
  });

  it('serves further gRPC services on the same port', async () => {
    const h = await startServer({
      services: [
        {
          definition: ECHO,
          implementation: {
            reverse: (call: { request: Buffer }, cb: (e: null, r: Buffer) => void) =>
              cb(null, Buffer.from(call.request).reverse()),
          },
        },
      ],
    });
    const client = new Client(h.address, credentials.createInsecure());
    try {
      const reply = await new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(
          ECHO.reverse!.path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from('abc'),
          (e, r) => (e ? reject(e) : resolve(r!)),
        ),
      );
      expect(reply.toString()).toBe('cba');
    } finally {
      client.close();
    }
  });
});

describe('XdsServer settings', () => {
  it('announces 100 streams per connection by default, the configured limit, or grpcOptions over both', async () => {
    expect(await remoteMaxStreams((await startServer()).address)).toBe(100);
    expect(
      await remoteMaxStreams((await startServer({ limits: { maxStreamsPerConnection: 9 } })).address),
    ).toBe(9);
    const over = await startServer({
      limits: { maxStreamsPerConnection: 9 },
      grpcOptions: { 'grpc.max_concurrent_streams': 7 },
    });
    expect(await remoteMaxStreams(over.address)).toBe(7);
  });

  it('accepts requests up to 16 MiB (a subscription to thousands of names), past the 4 MiB default', async () => {
    const h = await startServer();
    h.publish('envoy', one);
    const c = track(new SotwClient(h.address, { id: 'big' }));
    const names = Array.from({ length: 5000 }, (_, i) => `model-${i}/${'v'.repeat(1000)}`);
    c.send({ typeUrl: TYPE.CDS, resourceNames: ['resnet/v1', ...names] });
    expect(namesOf(await c.next(10_000))).toEqual(['resnet/v1']);
    expect(c.error).toBeUndefined();
  });
});

describe('XdsServer reports', () => {
  it("reports only identified streams whose group has a snapshot, each against its group's current one", async () => {
    const h = await startServer({ groupOf: (ctx) => (ctx.node?.id === 'lonely' ? 'nothing' : 'envoy') });
    h.publish('envoy', one);
    const a = track(new SotwClient(h.address, { id: 'n1' }));
    a.send({ typeUrl: TYPE.CDS });
    const r = await a.next();
    const lonely = track(new SotwClient(h.address, { id: 'lonely' }));
    lonely.send({ typeUrl: TYPE.CDS });
    // A stream that has sent nothing yet has no node and no group.
    const silent = track(new SotwClient(h.address, { id: 'silent' }));
    await waitFor(() => h.server.streamCount === 3, 5000, 'three streams');
    await waitFor(() => h.kinds().filter((k) => k === 'identified').length === 2, 5000, 'two identified');
    const sync = () =>
      h.server
        .syncStates(() => true)
        .map((s) => [s.ctx.node?.id, s.resources.map((x) => `${x.name}:${x.state}`)]);
    expect(sync()).toEqual([['n1', ['resnet/v1:pending']]]);
    a.ack(r);
    await waitFor(() => h.kinds().includes('ack'), 5000, 'the ACK');
    expect(sync()).toEqual([['n1', ['resnet/v1:acked']]]);
    expect(h.server.syncStates((n) => n === 'other')).toEqual([{ ctx: expect.anything(), resources: [] }]);
    const desired = h.server.desiredFor('n1');
    expect(desired.map((d) => d.ctx.node?.id)).toEqual(['n1']);
    expect([...(desired[0]!.types.get(TYPE.CDS)?.keys() ?? [])]).toEqual(['resnet/v1']);
    expect(h.server.desiredFor('lonely')).toEqual([]);
    expect(h.server.desiredFor('silent')).toEqual([]);
    expect(h.server.desiredFor('nobody')).toEqual([]);
    expect(silent.responses.all).toEqual([]);
  });

  it('closes even while a client that ignores GOAWAY holds a stream open', async () => {
    const h = await startServer();
    h.publish('envoy', one);
    const s = h2connect(`http://${h.address}`);
    s.on('error', () => {});
    sessions.push(s);
    const st = openRawAds(s, 'stubborn');
    st.subscribe(TYPE.CDS);
    await waitFor(() => st.responses.length === 1, 5000, 'the first response');
    const closed = await Promise.race([
      h.server.close().then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
    ]);
    expect(closed).toBe(true);
    await st.ended;
    await waitFor(() => h.server.streamCount === 0, 5000, 'the stream to go');
  });

  it('ends every open stream on close and reports each one closed', async () => {
    const h = await startServer();
    h.publish('envoy', one);
    const a = track(new SotwClient(h.address, { id: 'n1' }));
    a.send({ typeUrl: TYPE.CDS });
    await a.next();
    await h.server.close();
    await waitFor(() => a.ended, 5000, 'the client to see the end');
    expect(a.error?.code).not.toBe(Status.OK);
    await waitFor(() => h.kinds().includes('close'), 5000, 'the close');
    expect(h.kinds()).toEqual(['open', 'identified', 'close']);
    expect(h.server.streamCount).toBe(0);
  });
});

describe('XdsServer slow readers', () => {
  /** EDS of ~100 KB: more than HTTP/2's 64 KB stream window, so an unread stream stays behind. */
  const big = modelSet('resnet', {
    v1: { weight: 100, ports: Array.from({ length: 5000 }, (_, i) => 1024 + i) },
  });

  it('closes a stream left unread past the timeout, reporting what it still held', async () => {
    const h = await startServer({ limits: { slowReaderTimeoutMs: 500 } });
    h.publish('envoy', big);
    const s = h2connect(`http://${h.address}`);
    s.on('error', () => {});
    sessions.push(s);
    const st = openRawAds(s, 'paused');
    st.stream.pause();
    st.subscribe(TYPE.CDS);
    st.subscribe(TYPE.EDS, ['resnet/v1']);
    expect((await st.ended).rst).toBe(h2.NGHTTP2_ENHANCE_YOUR_CALM);
    await waitFor(() => h.server.streamCount === 0, 5000, 'the stream to go');
    const slow = h.events.filter((e) => e.kind === 'slow');
    expect(slow).toHaveLength(1);
    expect(slow[0]!.args[0]).toBeGreaterThanOrEqual(1);
    expect(h.kinds()).toEqual(['open', 'identified', 'slow', 'close']);
  });

  for (const hooks of ['none', 'empty'] as const) {
    it(`resets a slow reader with ${hooks === 'none' ? 'no callback set' : 'an empty one'}`, async () => {
      const h = await startServer({ limits: { slowReaderTimeoutMs: 500 } }, hooks);
      h.publish('envoy', big);
      const s = h2connect(`http://${h.address}`);
      s.on('error', () => {});
      sessions.push(s);
      const st = openRawAds(s, 'paused');
      st.stream.pause();
      st.subscribe(TYPE.CDS);
      st.subscribe(TYPE.EDS, ['resnet/v1']);
      expect((await st.ended).rst).toBe(h2.NGHTTP2_ENHANCE_YOUR_CALM);
      await waitFor(() => h.server.streamCount === 0, 5000, 'the stream to go');
    });
  }

  it('stops the slow-reader clock of a stream the client closed while it was behind', async () => {
    const h = await startServer({ limits: { slowReaderTimeoutMs: 500 } });
    h.publish('envoy', big);
    const s = h2connect(`http://${h.address}`);
    s.on('error', () => {});
    sessions.push(s);
    const st = openRawAds(s, 'paused');
    st.stream.pause();
    st.subscribe(TYPE.CDS);
    st.subscribe(TYPE.EDS, ['resnet/v1']);
    await waitFor(() => (h.server.unflushedResponses().get(1) ?? 0) > 0, 5000, 'a response held back');
    st.stream.close();
    await waitFor(() => h.server.streamCount === 0, 5000, 'the stream to go');
    await new Promise((r) => setTimeout(r, 1000));
    expect(h.kinds()).toEqual(['open', 'identified', 'close']);
  });
});
