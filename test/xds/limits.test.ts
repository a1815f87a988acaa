// Bounded ADS resources: streams per HTTP/2 connection, streams per client, and streams whose
// client stops reading (docs/XDS.md, "Limits"). Raw node:http2 clients, so a test controls how
// many streams share one connection and whether the client reads at all.
import { type ClientHttp2Session, constants as h2, connect as h2connect } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { waitFor } from '../helpers/control-plane.js';
import { openRawAds, type RawAdsStream } from '../helpers/raw-ads.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { modelSet } from '../helpers/xds-resources.js';

let fx: XdsFixture | undefined;
const sessions: ClientHttp2Session[] = [];

function session(): ClientHttp2Session {
  const s = h2connect(`http://${fx!.address}`);
  s.on('error', () => {});
  sessions.push(s);
  return s;
}

afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  await fx?.close();
  fx = undefined;
});

/** A snapshot whose EDS is large enough (~100 KB) to exhaust HTTP/2's 64 KB stream window. */
function bigSet(step: number) {
  const ports = Array.from({ length: 5000 }, (_, i) => 1024 + ((i + step) % 60_000));
  return modelSet('resnet', { v1: { weight: 100, ports } });
}

describe('streams per connection', () => {
  it('lets one HTTP/2 connection hold at most max_concurrent_streams ADS streams', async () => {
    let open = 0;
    let most = 0;
    fx = await startXds(
      {
        onStreamOpen: () => {
          most = Math.max(most, ++open);
        },
        onStreamClose: () => {
          open--;
        },
      },
      { maxStreamsPerConnection: 20 },
    );
    fx.publish('envoy', modelSet('resnet', { v1: { weight: 100, ports: [9001] } }));
    const s = session();
    await new Promise<void>((r) => s.once('remoteSettings', () => r()));
    expect(s.remoteSettings.maxConcurrentStreams).toBe(20);
    const streams: RawAdsStream[] = [];
    for (let i = 0; i < 30; i++) {
      const st = openRawAds(s, `envoy-${i}`);
      st.subscribe(TYPE.CDS);
      streams.push(st);
    }
    await waitFor(() => streams.filter((st) => st.responses.length > 0).length === 20, 10_000, '20 answered');
    expect(fx.server.streamCount).toBe(20);
    // Closing five of the served streams lets exactly five of the waiting ones in.
    const served = streams.filter((st) => st.responses.length > 0);
    for (const st of served.slice(0, 5)) st.stream.close();
    await waitFor(() => streams.filter((st) => st.responses.length > 0).length === 25, 10_000, '25 answered');
    expect(most).toBe(20);
  });
});

describe('streams per client', () => {
  it('refuses a node beyond its stream limit with RESOURCE_EXHAUSTED naming the node and the limit', async () => {
    const refused: string[] = [];
    fx = await startXds(
      { onStreamRefused: (_c, _code, reason) => refused.push(reason) },
      { maxStreamsPerClient: 3 },
    );
    fx.publish('envoy', modelSet('resnet', { v1: { weight: 100, ports: [9001] } }));
    const s = session();
    const same = Array.from({ length: 3 }, () => openRawAds(s, 'envoy-same'));
    for (const st of same) st.subscribe(TYPE.CDS);
    await waitFor(() => same.every((st) => st.responses.length > 0), 10_000, 'three streams answered');
    const fourth = openRawAds(s, 'envoy-same');
    fourth.subscribe(TYPE.CDS);
    const end = await Promise.race([
      fourth.ended,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('fourth stream never ended')), 10_000),
      ),
    ]);
    expect(end.status).toBe(8); // RESOURCE_EXHAUSTED
    expect(end.message).toContain('node envoy-same already holds 3 streams');
    expect(fourth.responses).toHaveLength(0);
    expect(refused).toHaveLength(1);
    // Another node is not affected, and a closed stream gives its slot back.
    const other = openRawAds(s, 'envoy-other');
    other.subscribe(TYPE.CDS);
    same[0]!.stream.close();
    await waitFor(() => fx!.server.streamCount === 3, 10_000, 'the closed stream to go');
    const again = openRawAds(s, 'envoy-same');
    again.subscribe(TYPE.CDS);
    await waitFor(() => other.responses.length > 0 && again.responses.length > 0, 10_000, 'both answered');
  });
});

describe('slow readers', () => {
  it('holds at most one response per type for a stream that stops reading, and closes it after the timeout', async () => {
    const written = new Map<number, number>();
    const closedSlow: number[] = [];
    fx = await startXds(
      {
        onResponse: (ctx) => written.set(ctx.id, (written.get(ctx.id) ?? 0) + 1),
        onSlowReaderClosed: (ctx) => closedSlow.push(ctx.id),
      },
      { slowReaderTimeoutMs: 3000 },
    );
    fx.publish('envoy', bigSet(0));
    // Separate connections: an unread stream also holds its connection's window.
    const reader = openRawAds(session(), 'envoy-reads');
    const stalled = openRawAds(session(), 'envoy-paused');
    for (const st of [reader, stalled]) {
      st.subscribe(TYPE.CDS);
      st.subscribe(TYPE.EDS, ['resnet/v1']);
    }
    stalled.stream.pause();
    await waitFor(() => reader.responses.length >= 2, 10_000, 'the reading stream answered');
    const [readerId, stalledId] = [...written.keys()].sort((a, b) => a - b) as [number, number];
    // Every push changes EDS; the paused stream's window is full after the first one.
    for (let step = 1; step <= 15; step++) {
      fx.publish('envoy', bigSet(step));
      await new Promise((r) => setImmediate(r));
      expect(fx.server.unflushedResponses().get(stalledId) ?? 0).toBeLessThanOrEqual(2);
    }
    await waitFor(
      () => reader.responses.at(-1)?.versionInfo === fx!.cache.get('envoy')!.type(TYPE.EDS).version,
      10_000,
      'the reading stream to get the latest EDS',
    );
    // Two initial responses and at most one more per type, not one per push.
    expect(written.get(stalledId)).toBeLessThanOrEqual(4);
    expect(written.get(readerId)).toBeGreaterThan(4);
    const end = await stalled.ended;
    expect(end.rst).toBe(h2.NGHTTP2_ENHANCE_YOUR_CALM);
    expect(closedSlow).toEqual([stalledId]);
    await waitFor(() => fx!.server.streamCount === 1, 10_000, 'the slow stream to be gone');
    expect(reader.stream.closed).toBe(false);
  });
});
