// What SotW and delta streams share (stream-base.ts), on a minimal stream that records each
// respond(): the node is taken once, from the first request that carries one; unknown types are
// reported and dropped; a snapshot arriving while the sink is busy is sent after it drains; a
// closed stream does nothing.
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { type Node, NodeSchema } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import { Snapshot } from '../cache/snapshot.js';
import { TYPE, type TypeUrl } from '../resource-types.js';
import type { ResourceFilter } from './desired.js';
import { AdsStream, type StreamHost } from './stream-base.js';
import type { StreamContext } from './stream-context.js';

class RecordingStream extends AdsStream<never, string> {
  readonly responded: Array<Snapshot | undefined> = [];
  request(node: Node | undefined, typeUrl: string): TypeUrl | undefined {
    return this.begin(node, typeUrl);
  }
  get held(): { snapshot?: Snapshot; filter?: ResourceFilter } {
    return { snapshot: this.snapshot, filter: this.filter };
  }
  protected respond(): void {
    this.responded.push(this.snapshot);
  }
}

const empty = () => new Snapshot(new Map());
const node = (id: string) => create(NodeSchema, { id });

function setup(
  opts: { current?: Snapshot; filter?: ResourceFilter; noFilterFor?: boolean; quiet?: boolean } = {},
) {
  const attached: Array<{ ctx: StreamContext; node?: Node }> = [];
  const unknown: string[] = [];
  const filtered: StreamContext[] = [];
  let watcher: ((s: Snapshot) => void) | undefined;
  const host: StreamHost = {
    attach: (c, onSnapshot) => {
      attached.push({ ctx: c, ...(c.node ? { node: c.node } : {}) });
      watcher = onSnapshot;
      return opts.current;
    },
    // A host may leave every callback out.
    callbacks: opts.quiet ? {} : { onUnknownType: (_c, t) => unknown.push(t) },
    now: () => 0,
    ...(opts.noFilterFor
      ? {}
      : {
          filterFor: (c: StreamContext) => {
            filtered.push(c);
            return opts.filter;
          },
        }),
  };
  const sink = { busy: false, written: [] as string[], write: (m: string) => sink.written.push(m) };
  const ctx: StreamContext = { id: 3, protocol: 'sotw', peer: 'p', openedAt: 0 };
  const stream = new RecordingStream(ctx, host, sink);
  return { stream, ctx, sink, attached, unknown, filtered, push: (s: Snapshot) => watcher!(s) };
}

describe('AdsStream.begin', () => {
  it('takes the node from the first request, attaches once, and asks for the filter once', () => {
    const current = empty();
    const filter: ResourceFilter = () => true;
    const t = setup({ current, filter });
    expect(t.stream.request(node('n1'), TYPE.CDS)).toBe(TYPE.CDS);
    expect(t.ctx.node?.id).toBe('n1');
    expect(t.attached).toEqual([{ ctx: t.ctx, node: node('n1') }]);
    expect(t.filtered).toEqual([t.ctx]);
    expect(t.stream.held.snapshot).toBe(current);
    expect(t.stream.held.filter).toBe(filter);
    // Later requests may repeat or change the node: the first one stands.
    expect(t.stream.request(node('n2'), TYPE.EDS)).toBe(TYPE.EDS);
    expect(t.stream.request(undefined, TYPE.LDS)).toBe(TYPE.LDS);
    expect(t.ctx.node?.id).toBe('n1');
    expect(t.attached).toHaveLength(1);
    expect(t.filtered).toHaveLength(1);
    // begin() only identifies: responding is the subclass's business.
    expect(t.stream.responded).toEqual([]);
  });

  it('attaches a first request without a node as it is, and a host may have no filter', () => {
    const t = setup({ noFilterFor: true });
    expect(t.stream.request(undefined, TYPE.RDS)).toBe(TYPE.RDS);
    expect(t.ctx.node).toBeUndefined();
    expect(t.attached).toEqual([{ ctx: t.ctx }]);
    expect(t.stream.held).toEqual({ snapshot: undefined, filter: undefined });
  });

  it('reports a type it does not serve and drops the request, after identifying the stream', () => {
    const t = setup();
    expect(t.stream.request(node('n1'), 'type.googleapis.com/envoy.Unknown')).toBeUndefined();
    expect(t.unknown).toEqual(['type.googleapis.com/envoy.Unknown']);
    expect(t.ctx.node?.id).toBe('n1');
    expect(t.attached).toHaveLength(1);
  });

  it('drops an unknown type quietly for a host without the callback', () => {
    const t = setup({ quiet: true });
    expect(t.stream.request(node('n1'), 'type.googleapis.com/envoy.Unknown')).toBeUndefined();
    expect(t.stream.request(undefined, TYPE.CDS)).toBe(TYPE.CDS);
  });

  it('handles nothing once closed', () => {
    const t = setup();
    t.stream.close();
    expect(t.stream.request(node('n1'), TYPE.CDS)).toBeUndefined();
    expect(t.stream.request(node('n1'), 'bogus')).toBeUndefined();
    expect(t.attached).toEqual([]);
    expect(t.unknown).toEqual([]);
    expect(t.ctx.node).toBeUndefined();
  });
});

describe('AdsStream snapshots and pacing', () => {
  it('responds to each new snapshot at once while the sink is free', () => {
    const t = setup();
    t.stream.request(node('n'), TYPE.CDS);
    const s1 = empty();
    const s2 = empty();
    t.push(s1);
    t.push(s2);
    expect(t.stream.responded).toEqual([s1, s2]);
    expect(t.stream.held.snapshot).toBe(s2);
  });

  it('holds back while the sink is busy and sends only the latest once resumed', () => {
    const t = setup();
    t.stream.request(node('n'), TYPE.CDS);
    // A drain with nothing held back sends nothing.
    t.stream.resume();
    expect(t.stream.responded).toEqual([]);
    t.sink.busy = true;
    const s1 = empty();
    const s2 = empty();
    t.push(s1);
    t.push(s2);
    expect(t.stream.responded).toEqual([]);
    t.sink.busy = false;
    t.stream.resume();
    expect(t.stream.responded).toEqual([s2]);
    // What was held back went out once: a second drain sends nothing more.
    t.stream.resume();
    expect(t.stream.responded).toEqual([s2]);
  });

  it('stays deferred when resumed while the sink is busy again', () => {
    const t = setup();
    t.stream.request(node('n'), TYPE.CDS);
    t.sink.busy = true;
    const s1 = empty();
    t.push(s1);
    t.stream.resume();
    expect(t.stream.responded).toEqual([]);
    t.sink.busy = false;
    t.stream.resume();
    expect(t.stream.responded).toEqual([s1]);
  });

  it('ignores snapshots and drains after close', () => {
    const t = setup();
    t.stream.request(node('n'), TYPE.CDS);
    t.sink.busy = true;
    const s1 = empty();
    t.push(s1);
    t.stream.close();
    t.sink.busy = false;
    t.stream.resume();
    t.push(empty());
    expect(t.stream.responded).toEqual([]);
    expect(t.stream.held.snapshot).toBe(s1);
  });
});
