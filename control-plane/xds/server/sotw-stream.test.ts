// The SotW stream's rules (docs/XDS.md) on one stream object, with a hand-made snapshot, a sink
// that decodes what it is given and a host that records every callback. test/xds/sotw.test.ts
// proves the same rules through a real gRPC client; this one pins the details it cannot see
// (callback arguments, describe(), what is owed after each request).
import { create, fromBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { type EncodedResource, type ResourceRefs, Snapshot, versionOf } from '../cache/snapshot.js';
import { TYPE, type TypeUrl } from '../resource-types.js';
import type { PreEncodedResponse } from './encoded-response.js';
import { SotwStream } from './sotw-stream.js';
import type { StreamHost } from './stream-base.js';
import type { StreamContext } from './stream-context.js';

const res = (name: string, version: string, refs: ResourceRefs = {}): EncodedResource => ({
  name,
  version,
  any: create(AnySchema, { typeUrl: `t/${name}`, value: new TextEncoder().encode(version) }),
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

interface Sent {
  type: string;
  version: string;
  names: string[];
  nonce: string;
}

class Harness {
  readonly events: unknown[][] = [];
  readonly sent: Sent[] = [];
  busy = false;
  clock = 1000;
  current: Snapshot | undefined;
  attached = 0;
  readonly ctx: StreamContext = { id: 1, protocol: 'sotw', peer: 'p', openedAt: 0 };
  readonly stream: SotwStream;
  filter?: (t: TypeUrl, n: string) => boolean;

  constructor(snap?: Snapshot, quiet = false) {
    this.current = snap;
    const record =
      (name: string) =>
      (_ctx: StreamContext, ...args: unknown[]) =>
        this.events.push([name, ...args]);
    const host: StreamHost = {
      attach: () => {
        this.attached++;
        return this.current;
      },
      // A host may leave every callback out.
      callbacks: quiet
        ? {}
        : {
            onResponse: record('response'),
            onAck: record('ack'),
            onNack: record('nack'),
            onStaleNonce: record('stale'),
            onUnknownType: record('unknown'),
          },
      filterFor: () => this.filter,
      now: () => this.clock,
    };
    const harness = this;
    const sink = {
      write: (m: PreEncodedResponse) => {
        const r = fromBinary(DiscoveryResponseSchema, m.preEncoded);
        expect(r.nonce).toBe(m.nonce);
        this.sent.push({
          type: r.typeUrl,
          version: r.versionInfo,
          names: r.resources.map((a) => a.typeUrl.slice(2)),
          nonce: r.nonce,
        });
      },
      get busy() {
        return harness.busy;
      },
    };
    this.stream = new SotwStream(this.ctx, host, sink);
  }

  request(typeUrl: string, names: string[] = [], nonce = '', errorMessage?: string, versionInfo = '') {
    this.stream.onRequest(
      create(DiscoveryRequestSchema, {
        typeUrl,
        resourceNames: names,
        responseNonce: nonce,
        versionInfo,
        ...(this.sent.length === 0 && !this.ctx.node ? { node: { id: 'n1' } } : {}),
        ...(errorMessage ? { errorDetail: { code: 3, message: errorMessage } } : {}),
      }),
    );
  }

  /** Takes what was sent since the last take. */
  take(): Sent[] {
    return this.sent.splice(0);
  }
  last(type: TypeUrl): Sent {
    const l = [...this.sent].reverse().find((s) => s.type === type);
    if (!l) throw new Error(`nothing sent for ${type}`);
    return l;
  }
}

const C1 = res('c1', 'a');
const C2 = res('c2', 'a');
const E1 = res('c1', 'e1');
const E2 = res('c2', 'e1');

describe('SotW stream', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness(snapshot({ [TYPE.CDS]: [C1, C2], [TYPE.EDS]: [E1, E2] }));
  });

  it('answers a first wildcard CDS request with the type version, fresh nonces, and a response callback', () => {
    h.request(TYPE.CDS);
    const [r] = h.take();
    expect(r).toEqual({
      type: TYPE.CDS,
      version: versionOf([C1, C2]),
      names: ['c1', 'c2'],
      nonce: expect.stringMatching(/\S/),
    });
    expect(h.events).toEqual([['response', TYPE.CDS, versionOf([C1, C2]), 2, r!.nonce]]);
    expect(h.attached).toBe(1);
    expect(h.ctx.node?.id).toBe('n1');
    expect(h.stream.describe()).toEqual({
      CDS: { names: ['*'], sent: versionOf([C1, C2]), nonce: r!.nonce },
    });
  });

  it('reports an ACK with its version and the time since the response, and sends nothing for it', () => {
    h.request(TYPE.CDS);
    const [r] = h.take();
    h.events.length = 0;
    h.clock += 250;
    h.request(TYPE.CDS, [], r!.nonce, undefined, r!.version);
    expect(h.take()).toEqual([]);
    expect(h.events).toEqual([['ack', TYPE.CDS, r!.version, 250]]);
    // Only the first request attaches the stream.
    expect(h.attached).toBe(1);
  });

  it('ignores a request with a stale nonce, reporting it', () => {
    h.request(TYPE.CDS);
    h.take();
    h.events.length = 0;
    h.request(TYPE.CDS, ['c1'], 'old-nonce');
    expect(h.take()).toEqual([]);
    expect(h.events).toEqual([['stale', TYPE.CDS, 'old-nonce']]);
    expect(h.stream.describe().CDS?.names).toEqual(['*']);
  });

  it('ignores a type it does not serve, reporting it', () => {
    h.request('type.googleapis.com/unknown.Type');
    expect(h.take()).toEqual([]);
    expect(h.events).toEqual([['unknown', 'type.googleapis.com/unknown.Type']]);
  });

  it('reports a NACK with the rejected version, message and names, and does not resend that content', () => {
    h.request(TYPE.CDS);
    const [r] = h.take();
    h.events.length = 0;
    h.request(TYPE.CDS, [], r!.nonce, 'bad cluster');
    expect(h.events).toEqual([['nack', TYPE.CDS, r!.version, 'bad cluster', ['c1', 'c2']]]);
    expect(h.take()).toEqual([]);
    // The same content again (another snapshot object, e.g. an unrelated EDS change): silence.
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C1, C2], [TYPE.EDS]: [E1] }));
    expect(h.take()).toEqual([]);
    // New content is sent.
    const C3 = res('c1', 'b');
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C3, C2] }));
    expect(h.take().map((s) => s.version)).toEqual([versionOf([C3, C2])]);
  });

  it('stays silent when NACKed content comes back after an ACK of newer content', () => {
    h.request(TYPE.CDS);
    const a = h.take()[0]!;
    h.request(TYPE.CDS, [], a.nonce, undefined, a.version);
    const B = [res('c1', 'b'), C2];
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: B }));
    const b = h.take()[0]!;
    h.request(TYPE.CDS, [], b.nonce, 'rejected B');
    const C = [res('c1', 'c'), C2];
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: C }));
    const c = h.take()[0]!;
    expect(c.version).toBe(versionOf(C));
    h.request(TYPE.CDS, [], c.nonce, undefined, c.version);
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: B }));
    expect(h.take()).toEqual([]);
  });

  it('answers newly subscribed EDS names that exist, waits for those that do not, and forgets unsubscribed ones', () => {
    h.request(TYPE.EDS, ['c1']);
    const r1 = h.take()[0]!;
    expect(r1.names).toEqual(['c1']);
    // Adding a name that does not exist yet: nothing owed.
    h.request(TYPE.EDS, ['c1', 'c9'], r1.nonce);
    expect(h.take()).toEqual([]);
    // Adding one that exists: answered with both, even though c1 did not change.
    h.request(TYPE.EDS, ['c1', 'c9', 'c2'], r1.nonce);
    const r2 = h.take()[0]!;
    expect(r2.names).toEqual(['c1', 'c2']);
    // c9 appears: sent.
    const E9 = res('c9', 'e1');
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C1, C2], [TYPE.EDS]: [E1, E2, E9] }));
    const r3 = h.take()[0]!;
    expect(r3.names).toEqual(['c1', 'c2', 'c9']);
    // Unsubscribing c2: a change to c2 alone is no longer the stream's business.
    h.request(TYPE.EDS, ['c1', 'c9'], r3.nonce);
    expect(h.take()).toEqual([]);
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C1, C2], [TYPE.EDS]: [E1, res('c2', 'e2'), E9] }));
    expect(h.take()).toEqual([]);
    expect(h.stream.describe().EDS?.names).toEqual(['c1', 'c9']);
  });

  it('answers a newly subscribed LDS/CDS name even when it does not exist (absence means deletion)', () => {
    h.request(TYPE.CDS, ['c1']);
    const r1 = h.take()[0]!;
    h.request(TYPE.CDS, ['c1', 'nope'], r1.nonce);
    expect(h.take().map((s) => s.names)).toEqual([['c1']]);
  });

  it('resends EDS after a CDS push and RDS after an LDS push, even when they did not change', () => {
    h.request(TYPE.CDS);
    const c = h.take()[0]!;
    h.request(TYPE.EDS, ['c1', 'c2']);
    const e = h.take()[0]!;
    h.request(TYPE.CDS, [], c.nonce, undefined, c.version);
    h.request(TYPE.EDS, ['c1', 'c2'], e.nonce, undefined, e.version);
    expect(h.take()).toEqual([]);
    const next = snapshot({ [TYPE.CDS]: [res('c1', 'b'), C2], [TYPE.EDS]: [E1, E2] });
    h.stream.onSnapshot(next);
    const pushed = h.take();
    expect(pushed.map((s) => s.type)).toEqual([TYPE.CDS, TYPE.EDS]);
    expect(pushed[1]!.version).toBe(e.version);
    // An unchanged EDS alone is not resent.
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: [res('c1', 'b'), C2], [TYPE.EDS]: [E1, E2] }));
    expect(h.take()).toEqual([]);
  });

  it('holds responses while the sink is busy and sends the latest when resumed', () => {
    h.request(TYPE.CDS);
    const a = h.take()[0]!;
    h.request(TYPE.CDS, [], a.nonce, undefined, a.version);
    h.busy = true;
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: [res('c1', 'b')] }));
    const latest = [res('c1', 'c')];
    h.stream.onSnapshot(snapshot({ [TYPE.CDS]: latest }));
    expect(h.take()).toEqual([]);
    h.busy = false;
    h.stream.resume();
    expect(h.take().map((s) => s.version)).toEqual([versionOf(latest)]);
    // Nothing deferred: resume sends nothing.
    h.stream.resume();
    expect(h.take()).toEqual([]);
  });

  it('answers a stream that asked before any snapshot as soon as one arrives, and nothing after close', () => {
    const early = new Harness(undefined);
    early.request(TYPE.CDS);
    expect(early.take()).toEqual([]);
    early.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C1] }));
    expect(early.take().map((s) => s.names)).toEqual([['c1']]);
    early.stream.close();
    early.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C2] }));
    early.request(TYPE.EDS, ['c1']);
    expect(early.take()).toEqual([]);
  });

  it('describes a subscription before its first response without a nonce', () => {
    const early = new Harness(undefined);
    early.request(TYPE.EDS, ['b', 'a']);
    expect(early.stream.describe()).toEqual({ EDS: { names: ['a', 'b'], sent: '' } });
  });

  it('keeps a removed cluster that a held listener uses, until the client ACKs listeners without it', () => {
    const L1 = res('l', 'v1', { clusters: ['c2'] });
    const m = new Harness(snapshot({ [TYPE.CDS]: [C1, C2], [TYPE.LDS]: [L1] }));
    m.request(TYPE.CDS);
    const c = m.take()[0]!;
    m.request(TYPE.CDS, [], c.nonce, undefined, c.version);
    m.request(TYPE.LDS);
    const l = m.take()[0]!;
    m.request(TYPE.LDS, [], l.nonce, undefined, l.version);
    const C1b = res('c1', 'b');
    const L2 = res('l', 'v2', { clusters: ['c1'] });
    m.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C1b], [TYPE.LDS]: [L2] }));
    const pushed = m.take();
    expect(pushed.map((s) => [s.type, s.names])).toEqual([
      [TYPE.CDS, ['c1', 'c2']],
      [TYPE.LDS, ['l']],
    ]);
    m.request(TYPE.CDS, [], pushed[0]!.nonce, undefined, pushed[0]!.version);
    expect(m.take()).toEqual([]);
    // The ACK of the listener without c2 is what lets c2 go.
    m.request(TYPE.LDS, [], pushed[1]!.nonce, undefined, pushed[1]!.version);
    expect(m.take().map((s) => [s.type, s.names])).toEqual([[TYPE.CDS, ['c1']]]);
  });

  it('works with a host that sets no callbacks', () => {
    const q = new Harness(snapshot({ [TYPE.CDS]: [C1] }), true);
    q.request(TYPE.CDS);
    const a = q.take()[0]!;
    q.request(TYPE.CDS, [], a.nonce, undefined, a.version);
    q.request(TYPE.CDS, [], 'stale');
    q.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C2] }));
    const b = q.take()[0]!;
    q.request(TYPE.CDS, [], b.nonce, 'no');
    q.request('type.googleapis.com/unknown.Type');
    expect(b.names).toEqual(['c2']);
    expect(q.events).toEqual([]);
  });

  it('versions every type by its snapshot version when nothing is retained', () => {
    h.request(TYPE.EDS, ['c1']);
    expect(h.take()[0]!.version).toBe(versionOf([E1, E2]));
  });

  it('answers a request adding several names when any of them exists', () => {
    h.request(TYPE.EDS, ['c1']);
    const r1 = h.take()[0]!;
    h.request(TYPE.EDS, ['c1', 'c9', 'c2'], r1.nonce);
    expect(h.take().map((s) => s.names)).toEqual([['c1', 'c2']]);
  });

  it('answers a changed subscription even when the content is what the client NACKed', () => {
    h.request(TYPE.CDS, ['c1']);
    const a = h.take()[0]!;
    h.request(TYPE.CDS, ['c1'], a.nonce, 'rejected');
    // A new CDS name is owed an answer (absence means deletion), though c1 is unchanged.
    h.request(TYPE.CDS, ['c1', 'nope'], a.nonce);
    expect(h.take().map((s) => [s.names, s.version])).toEqual([[['c1'], a.version]]);
  });

  it('never gives one stream the encoded body of another subscription of the same snapshot', () => {
    const rs = ['a', 'ab', 'bc', 'c'].map((n) => res(n, 'x'));
    const snap = snapshot({ [TYPE.EDS]: rs });
    const one = new Harness(snap);
    const two = new Harness(snap);
    one.request(TYPE.EDS, ['a', 'bc']);
    two.request(TYPE.EDS, ['ab', 'c']);
    expect(one.take()[0]!.names).toEqual(['a', 'bc']);
    expect(two.take()[0]!.names).toEqual(['ab', 'c']);
  });

  it('sends only what the host filter lets this stream see', () => {
    h.filter = (_t, n) => n !== 'c2';
    h.request(TYPE.CDS);
    expect(h.take()[0]!.names).toEqual(['c1']);
  });

  it('keeps a removed cluster, with a distinct version, while routes the client holds use it', () => {
    const R1 = res('r', 'v1', { clusters: ['c1', 'c2'] });
    const L = res('l', 'v1', { routes: ['r'] });
    const s1 = snapshot({ [TYPE.CDS]: [C1, C2], [TYPE.LDS]: [L], [TYPE.RDS]: [R1] });
    const m = new Harness(s1);
    m.request(TYPE.CDS);
    const c = m.take()[0]!;
    m.request(TYPE.CDS, [], c.nonce, undefined, c.version);
    m.request(TYPE.LDS);
    const l = m.take()[0]!;
    m.request(TYPE.LDS, [], l.nonce, undefined, l.version);
    m.request(TYPE.RDS, ['r']);
    const r = m.take()[0]!;
    m.request(TYPE.RDS, ['r'], r.nonce, undefined, r.version);
    // c2 leaves and c1 changes in one push; the new routes use only c1.
    const C1b = res('c1', 'b');
    const R2 = res('r', 'v2', { clusters: ['c1'] });
    m.stream.onSnapshot(snapshot({ [TYPE.CDS]: [C1b], [TYPE.LDS]: [L], [TYPE.RDS]: [R2] }));
    const pushed = m.take();
    expect(pushed.map((s) => [s.type, s.names])).toEqual([
      [TYPE.CDS, ['c1', 'c2']],
      [TYPE.RDS, ['r']],
    ]);
    expect(pushed[0]!.version).toMatch(new RegExp(`^${versionOf([C1b])}\\+[0-9a-f]{16}$`));
    expect(m.stream.describe().CDS?.sent).toBe(pushed[0]!.version);
    // The client ACKs the routes without c2: now c2 goes.
    m.request(TYPE.CDS, [], pushed[0]!.nonce, undefined, pushed[0]!.version);
    m.request(TYPE.RDS, ['r'], pushed[1]!.nonce, undefined, pushed[1]!.version);
    const after = m.take();
    expect(after.map((s) => [s.type, s.names, s.version])).toEqual([[TYPE.CDS, ['c1'], versionOf([C1b])]]);
  });

  it('keeps what one stream retains to itself: another stream of the same snapshot gets only current clusters', () => {
    const L1 = res('l', 'v1', { clusters: ['c2'] });
    const m = new Harness(snapshot({ [TYPE.CDS]: [C1, C2], [TYPE.LDS]: [L1] }));
    m.request(TYPE.CDS);
    const c = m.take()[0]!;
    m.request(TYPE.CDS, [], c.nonce, undefined, c.version);
    m.request(TYPE.LDS);
    const l = m.take()[0]!;
    m.request(TYPE.LDS, [], l.nonce, undefined, l.version);
    const C1b = res('c1', 'b');
    const next = snapshot({ [TYPE.CDS]: [C1b], [TYPE.LDS]: [res('l', 'v2', { clusters: ['c1'] })] });
    m.stream.onSnapshot(next);
    expect(m.take()[0]!.names).toEqual(['c1', 'c2']);
    const fresh = new Harness(next);
    fresh.request(TYPE.CDS);
    expect(fresh.take()[0]!.names).toEqual(['c1']);
  });
});
