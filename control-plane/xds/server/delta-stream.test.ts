// The delta stream's rules (docs/XDS.md) on one stream object with a hand-made snapshot; the
// sink keeps the responses as the stream built them. test/xds/delta.test.ts proves the same
// through a real gRPC client; this pins what it cannot see (callback arguments, NACK rollback,
// the pending bound).
import { create, fromBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { type EncodedResource, type ResourceRefs, Snapshot, versionOf } from '../cache/snapshot.js';
import { TYPE, type TypeUrl } from '../resource-types.js';
import { DeltaStream } from './delta-stream.js';
import type { PreEncodedResponse } from './encoded-response.js';
import type { StreamContext } from './stream-context.js';

const res = (name: string, version: string, refs: ResourceRefs = {}): EncodedResource => ({
  name,
  version,
  any: create(AnySchema),
  refs,
});
function snapshot(types: Partial<Record<TypeUrl, EncodedResource[]>>): Snapshot {
  return new Snapshot(
    new Map(
      Object.entries(types).map(([url, rs]) => [
        url as TypeUrl,
        { version: versionOf(rs), resources: new Map(rs.map((r) => [r.name, r])) },
      ]),
    ),
  );
}

type Out = { type: string; version: string; updates: [string, string][]; removed: string[]; nonce: string };

class Harness {
  readonly events: unknown[][] = [];
  readonly out: Out[] = [];
  clock = 1000;
  readonly ctx: StreamContext = { id: 1, protocol: 'delta', peer: 'p', openedAt: 0 };
  readonly stream: DeltaStream;
  /** `quiet`: a host that registered no callbacks at all. */
  constructor(
    public current: Snapshot | undefined,
    quiet = false,
  ) {
    const record =
      (name: string) =>
      (_ctx: StreamContext, ...args: unknown[]) =>
        this.events.push([name, ...args]);
    this.stream = new DeltaStream(
      this.ctx,
      {
        attach: () => this.current,
        callbacks: quiet
          ? {}
          : {
              onResponse: record('response'),
              onAck: record('ack'),
              onNack: record('nack'),
              onStaleNonce: record('stale'),
            },
        now: () => this.clock,
      },
      {
        busy: false,
        write: (sent: PreEncodedResponse) => {
          // What goes on the wire, decoded as the client decodes it.
          const r = fromBinary(DeltaDiscoveryResponseSchema, sent.preEncoded);
          expect(r.nonce).toBe(sent.nonce);
          this.out.push({
            type: r.typeUrl,
            version: r.systemVersionInfo,
            updates: r.resources.map((x) => [x.name, x.version]),
            removed: [...r.removedResources],
            nonce: r.nonce,
          });
        },
      },
    );
  }
  request(
    typeUrl: TypeUrl,
    o: {
      sub?: string[];
      unsub?: string[];
      nonce?: string;
      error?: string;
      initial?: Record<string, string>;
    } = {},
  ) {
    this.stream.onRequest(
      create(DeltaDiscoveryRequestSchema, {
        typeUrl,
        resourceNamesSubscribe: o.sub ?? [],
        resourceNamesUnsubscribe: o.unsub ?? [],
        responseNonce: o.nonce ?? '',
        initialResourceVersions: o.initial ?? {},
        ...(o.error ? { errorDetail: { code: 3, message: o.error } } : {}),
      }),
    );
  }
  take(): Out[] {
    return this.out.splice(0);
  }
}

const E1 = res('c1', 'e1');
const E2 = res('c2', 'e1');

describe('delta stream', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(snapshot({ [TYPE.CDS]: [res('c1', 'a', { eds: 'c1' })], [TYPE.EDS]: [E1, E2] }));
  });

  it('sends subscribed resources, reports missing names as removed once, and answers every subscribe', () => {
    h.request(TYPE.EDS, { sub: ['c1', 'c9'] });
    const [r] = h.take();
    expect(r).toEqual({
      type: TYPE.EDS,
      version: versionOf([E1, E2]),
      updates: [['c1', 'e1']],
      removed: ['c9'],
      nonce: expect.stringMatching(/\S/),
    });
    expect(h.events).toEqual([['response', TYPE.EDS, versionOf([E1, E2]), 1, r!.nonce]]);
    // Subscribing again to what it holds: an empty answer, c9 not reported twice.
    h.request(TYPE.EDS, { sub: ['c1'], nonce: r!.nonce });
    expect(h.take().map((o) => [o.updates, o.removed])).toEqual([[[], []]]);
  });

  it('reports an ACK with the system version and latency, a stale nonce as stale', () => {
    h.request(TYPE.EDS, { sub: ['c1'] });
    const [r] = h.take();
    h.events.length = 0;
    h.clock += 40;
    h.request(TYPE.EDS, { nonce: r!.nonce });
    h.request(TYPE.EDS, { nonce: r!.nonce });
    expect(h.events).toEqual([
      ['ack', TYPE.EDS, r!.version, 40],
      ['stale', TYPE.EDS, r!.nonce],
    ]);
    expect(h.take()).toEqual([]);
  });

  it('skips what the client already holds (initial_resource_versions) and removes what is gone', () => {
    h.request(TYPE.EDS, { sub: ['c1', 'c2'], initial: { c1: 'e1', c2: 'old', c3: 'x' } });
    expect(h.take().map((o) => [o.updates, o.removed])).toEqual([[[['c2', 'e1']], []]]);
    h.current = snapshot({ [TYPE.EDS]: [E1] });
    h.stream.onSnapshot(h.current);
    expect(h.take().map((o) => [o.updates, o.removed])).toEqual([[[], ['c2']]]);
  });

  it('rolls back on a NACK, reports the rejected names, and does not resend the rejected version', () => {
    h.request(TYPE.EDS, { sub: ['c1', 'c2'] });
    const [a] = h.take();
    h.request(TYPE.EDS, { nonce: a!.nonce });
    h.stream.onSnapshot(snapshot({ [TYPE.EDS]: [res('c1', 'bad'), E2] }));
    const [b] = h.take();
    expect(b!.updates).toEqual([['c1', 'bad']]);
    h.events.length = 0;
    h.request(TYPE.EDS, { nonce: b!.nonce, error: 'no' });
    expect(h.events).toEqual([['nack', TYPE.EDS, b!.version, 'no', ['c1']]]);
    expect(h.take()).toEqual([]);
    // Another change elsewhere: c1's rejected version stays unsent.
    h.stream.onSnapshot(snapshot({ [TYPE.EDS]: [res('c1', 'bad'), res('c2', 'e2')] }));
    expect(h.take().map((o) => o.updates)).toEqual([[['c2', 'e2']]]);
    // The version it held before the NACK counts again: going back to it sends nothing for c1.
    h.stream.onSnapshot(snapshot({ [TYPE.EDS]: [E1, res('c2', 'e2')] }));
    expect(h.take()).toEqual([]);
    // A newer c1 goes out.
    h.stream.onSnapshot(snapshot({ [TYPE.EDS]: [res('c1', 'good'), res('c2', 'e2')] }));
    expect(h.take().map((o) => o.updates)).toEqual([[['c1', 'good']]]);
  });

  it('sends a removal again after the response that carried it was NACKed', () => {
    h.request(TYPE.EDS, { sub: ['c1', 'c2'] });
    const [a] = h.take();
    h.request(TYPE.EDS, { nonce: a!.nonce });
    // Kept as the host's current snapshot too: requests without a node attach again.
    h.current = snapshot({ [TYPE.EDS]: [res('c1', 'bad')] });
    h.stream.onSnapshot(h.current);
    const [b] = h.take();
    expect([b!.updates, b!.removed]).toEqual([[['c1', 'bad']], ['c2']]);
    // The NACK leaves the client holding c2: the same snapshot removes it again, without c1.
    h.request(TYPE.EDS, { nonce: b!.nonce, error: 'no' });
    expect(h.take().map((o) => [o.updates, o.removed])).toEqual([[[], ['c2']]]);
  });

  it('answers an ACK of an unchanged type with nothing, and works out a changed one', () => {
    h.request(TYPE.CDS, { sub: ['c1'] });
    h.request(TYPE.EDS, { sub: ['c1', 'c2'] });
    const sent = h.take();
    for (const r of sent) h.request(r.type as TypeUrl, { nonce: r.nonce });
    expect(h.take()).toEqual([]);
    // Only EDS changed: one EDS response, none for CDS, and its ACK is answered with nothing.
    h.current = snapshot({ [TYPE.CDS]: [res('c1', 'a', { eds: 'c1' })], [TYPE.EDS]: [E1, res('c2', 'e2')] });
    h.stream.onSnapshot(h.current);
    const [e] = h.take();
    expect([e!.type, e!.updates]).toEqual([TYPE.EDS, [['c2', 'e2']]]);
    h.request(TYPE.EDS, { nonce: e!.nonce });
    expect(h.take()).toEqual([]);
  });

  it('keeps at most 64 unacknowledged responses per type: the oldest is forgotten', () => {
    for (let i = 0; i <= 64; i++) h.request(TYPE.EDS, { sub: [`n${i}`] });
    const sent = h.take();
    expect(sent).toHaveLength(65);
    h.events.length = 0;
    h.request(TYPE.EDS, { nonce: sent[0]!.nonce });
    h.request(TYPE.EDS, { nonce: sent[1]!.nonce });
    expect(h.events.map((e) => e[0])).toEqual(['stale', 'ack']);
  });

  it('forgets unsubscribed names: no update, no removal for them', () => {
    h.request(TYPE.EDS, { sub: ['c1', 'c2'] });
    const [a] = h.take();
    h.request(TYPE.EDS, { unsub: ['c2'], nonce: a!.nonce });
    expect(h.take()).toEqual([]);
    h.stream.onSnapshot(snapshot({ [TYPE.EDS]: [E1] }));
    expect(h.take()).toEqual([]);
  });

  it('resends the EDS of a changed cluster, even unchanged', () => {
    h.request(TYPE.CDS, { sub: ['c1'] });
    h.request(TYPE.EDS, { sub: ['c1', 'c2'] });
    expect(h.take().map((o) => o.type)).toEqual([TYPE.CDS, TYPE.EDS]);
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: [res('c1', 'b', { eds: 'c1' })], [TYPE.EDS]: [E1, E2] }));
    expect(h.take().map((o) => [o.type, o.updates])).toEqual([
      [TYPE.CDS, [['c1', 'b']]],
      [TYPE.EDS, [['c1', 'e1']]],
    ]);
  });

  it('resends the routes of a changed listener, even unchanged, and only those subscribed', () => {
    const m = new Harness(
      snapshot({
        [TYPE.LDS]: [res('l', 'v1', { routes: ['r', 'other'] })],
        [TYPE.RDS]: [res('r', 'v1'), res('other', 'v1')],
      }),
    );
    m.request(TYPE.LDS, { sub: ['l'] });
    m.request(TYPE.RDS, { sub: ['r'] });
    m.take();
    m.stream.onSnapshot(
      snapshot({
        [TYPE.LDS]: [res('l', 'v2', { routes: ['r', 'other'] })],
        [TYPE.RDS]: [res('r', 'v1'), res('other', 'v1')],
      }),
    );
    expect(m.take().map((o) => [o.type, o.updates])).toEqual([
      [TYPE.LDS, [['l', 'v2']]],
      [TYPE.RDS, [['r', 'v1']]],
    ]);
  });

  it('reports a missing name again after it was unsubscribed and subscribed anew', () => {
    h.request(TYPE.EDS, { sub: ['c9'] });
    expect(h.take().map((o) => o.removed)).toEqual([['c9']]);
    h.request(TYPE.EDS, { unsub: ['c9'] });
    h.take();
    h.request(TYPE.EDS, { sub: ['c9'] });
    expect(h.take().map((o) => o.removed)).toEqual([['c9']]);
  });

  it('resends a resource to a client that unsubscribed and subscribed again', () => {
    h.request(TYPE.EDS, { sub: ['c1'] });
    const [a] = h.take();
    h.request(TYPE.EDS, { unsub: ['c1'], nonce: a!.nonce });
    h.take();
    h.request(TYPE.EDS, { sub: ['c1'] });
    expect(h.take().map((o) => o.updates)).toEqual([[['c1', 'e1']]]);
  });

  it('answers a request made before the first snapshot once it arrives', () => {
    const early = new Harness(undefined);
    early.request(TYPE.EDS, { sub: ['c1'] });
    expect(early.take()).toEqual([]);
    early.stream.onSnapshot(snapshot({ [TYPE.EDS]: [E1] }));
    expect(early.take().map((o) => o.updates)).toEqual([[['c1', 'e1']]]);
  });

  it('keeps a removed cluster while the routes it sent still use it, and only the cluster', () => {
    const m = new Harness(
      snapshot({
        [TYPE.CDS]: [res('c1', 'a'), res('c2', 'a')],
        [TYPE.EDS]: [E1, E2],
        [TYPE.RDS]: [res('r', 'v1', { clusters: ['c1', 'c2'] })],
      }),
    );
    m.request(TYPE.CDS, { sub: ['*'] });
    m.request(TYPE.EDS, { sub: ['*'] });
    m.request(TYPE.RDS, { sub: ['r'] });
    m.take();
    m.current = snapshot({
      [TYPE.CDS]: [res('c1', 'a')],
      [TYPE.EDS]: [E1],
      [TYPE.RDS]: [res('r', 'v2', { clusters: ['c1'] })],
    });
    m.stream.onSnapshot(m.current);
    // The routes go first in effect: CDS keeps c2 (nothing to send), RDS moves off it. Retention
    // is for clusters: the endpoints of c2 go at once although the held routes still name c2.
    expect(m.take().map((o) => [o.type, o.updates, o.removed])).toEqual([
      [TYPE.EDS, [], ['c2']],
      [TYPE.RDS, [['r', 'v2']], []],
    ]);
    m.stream.onSnapshot(m.current);
    expect(m.take().map((o) => [o.type, o.updates, o.removed])).toEqual([[TYPE.CDS, [], ['c2']]]);
  });

  it('keeps what one stream retains to itself: a stream subscribing later sees c2 removed', () => {
    const first = snapshot({
      [TYPE.CDS]: [res('c1', 'a'), res('c2', 'a')],
      [TYPE.RDS]: [res('r', 'v1', { clusters: ['c1', 'c2'] })],
    });
    const m = new Harness(first);
    m.request(TYPE.CDS, { sub: ['*'] });
    m.request(TYPE.RDS, { sub: ['r'] });
    m.take();
    const next = snapshot({
      [TYPE.CDS]: [res('c1', 'a')],
      [TYPE.RDS]: [res('r', 'v1', { clusters: ['c1', 'c2'] })],
    });
    m.stream.onSnapshot(next);
    // m still routes to c2 (its routes did not change), so it keeps c2: nothing removed.
    expect(m.take()).toEqual([]);
    const fresh = new Harness(next);
    fresh.request(TYPE.CDS, { sub: ['*'] });
    expect(fresh.take().map((o) => [o.type, o.updates])).toEqual([[TYPE.CDS, [['c1', 'a']]]]);
  });

  it('serves a host that registered no callbacks: responses, ACKs, NACKs and stale nonces', () => {
    const q = new Harness(snapshot({ [TYPE.EDS]: [E1, E2] }), true);
    q.request(TYPE.EDS, { sub: ['c1'] });
    const [a] = q.take();
    expect(a!.updates).toEqual([['c1', 'e1']]);
    q.request(TYPE.EDS, { nonce: a!.nonce });
    q.request(TYPE.EDS, { nonce: a!.nonce });
    q.stream.onSnapshot(snapshot({ [TYPE.EDS]: [res('c1', 'bad'), E2] }));
    const [b] = q.take();
    q.request(TYPE.EDS, { nonce: b!.nonce, error: 'no' });
    // The NACK rolled back to e1: a later change elsewhere sends only the new name.
    q.request(TYPE.EDS, { sub: ['c2'] });
    expect(q.take().map((o) => o.updates)).toEqual([[['c2', 'e1']]]);
    expect(q.events).toEqual([]);
  });

  it('answers a first wildcard request for a type with no resources with an empty response', () => {
    h.request(TYPE.LDS, {});
    expect(h.take().map((o) => [o.type, o.updates, o.removed])).toEqual([[TYPE.LDS, [], []]]);
    // A later request that subscribes to nothing new is not answered again.
    h.request(TYPE.LDS, {});
    expect(h.take()).toEqual([]);
  });

  it('resends no endpoints for a changed cluster without them, and works with no EDS stream', () => {
    h.request(TYPE.CDS, { sub: ['c1', 'c2'] });
    h.request(TYPE.EDS, { sub: ['c1', 'c2'] });
    h.take();
    // c2 appears without an EDS reference (a static cluster): EDS is not touched.
    h.stream.onSnapshot(
      snapshot({ [TYPE.CDS]: [res('c1', 'a', { eds: 'c1' }), res('c2', 'a')], [TYPE.EDS]: [E1, E2] }),
    );
    expect(h.take().map((o) => [o.type, o.updates])).toEqual([[TYPE.CDS, [['c2', 'a']]]]);
    // A stream that asked only for clusters: a changed cluster with endpoints goes alone.
    const c = new Harness(snapshot({ [TYPE.CDS]: [res('c1', 'a', { eds: 'c1' })] }));
    c.request(TYPE.CDS, { sub: ['*'] });
    c.take();
    c.stream.onSnapshot(snapshot({ [TYPE.CDS]: [res('c1', 'b', { eds: 'c1' })] }));
    expect(c.take().map((o) => [o.type, o.updates])).toEqual([[TYPE.CDS, [['c1', 'b']]]]);
  });

  it('resends no routes for a changed listener without any, and only subscribed routes', () => {
    const m = new Harness(snapshot({ [TYPE.LDS]: [res('l', 'v1')], [TYPE.RDS]: [res('r', 'v1')] }));
    m.request(TYPE.LDS, { sub: ['l'] });
    m.request(TYPE.RDS, { sub: ['r'] });
    m.take();
    m.stream.onSnapshot(snapshot({ [TYPE.LDS]: [res('l', 'v2')], [TYPE.RDS]: [res('r', 'v1')] }));
    expect(m.take().map((o) => [o.type, o.updates])).toEqual([[TYPE.LDS, [['l', 'v2']]]]);
  });

  it('leaves alone, on a cluster change, endpoints the client holds but has not subscribed to', () => {
    const cds = (v: string) => [res('c1', 'a', { eds: 'c1' }), res('c2', v, { eds: 'c2' })];
    const m = new Harness(snapshot({ [TYPE.CDS]: cds('a'), [TYPE.EDS]: [E1, E2] }));
    m.request(TYPE.CDS, { sub: ['c1', 'c2'] });
    m.request(TYPE.EDS, { sub: ['c1'], initial: { c1: 'e1', c2: 'e1' } });
    m.take();
    m.current = snapshot({ [TYPE.CDS]: cds('b'), [TYPE.EDS]: [E1, E2] });
    m.stream.onSnapshot(m.current);
    expect(m.take().map((o) => [o.type, o.updates])).toEqual([[TYPE.CDS, [['c2', 'b']]]]);
    // Subscribing later: the client said it holds c2 at e1 and nothing it subscribed to was resent.
    m.request(TYPE.EDS, { sub: ['c2'] });
    expect(m.take().map((o) => [o.type, o.updates, o.removed])).toEqual([[TYPE.EDS, [], []]]);
  });
});
