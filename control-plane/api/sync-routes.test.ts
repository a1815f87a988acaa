import { describe, expect, it } from 'vitest';
import { TYPE } from '../xds/resource-types.js';
import type { StreamContext } from '../xds/server/stream-context.js';
import type { ResourceSync } from '../xds/server/stream-sync.js';
import { ProxyRegistry } from '../xds/status/proxy-registry.js';
import { type SyncDeps, syncOf } from './sync-routes.js';

const view = { namespace: 'default', name: 'resnet', model: 'resnet', revision: 7 };

function ctx(id: number, nodeId: string): StreamContext {
  return {
    id,
    protocol: 'sotw',
    peer: 'test',
    openedAt: 0,
    group: 'grpc',
    node: { id: nodeId } as StreamContext['node'],
  };
}

function deps(
  published: number | undefined,
  streams: Array<{ ctx: StreamContext; resources: ResourceSync[] }>,
  registry = new ProxyRegistry(),
): SyncDeps {
  return {
    service: undefined as never,
    authn: undefined as never,
    proxies: registry,
    published: () => published,
    streams: (owned) =>
      streams.map((s) => ({ ctx: s.ctx, resources: s.resources.filter((r) => owned(r.name)) })),
  };
}

const rds = (state: ResourceSync['state'], name = 'resnet'): ResourceSync => ({
  type: TYPE.RDS,
  name,
  state,
});

describe('syncOf', () => {
  it('is publishing until the served snapshots carry the revision asked for', () => {
    expect(syncOf(deps(undefined, []), view, 7, undefined).state).toBe('publishing');
    expect(
      syncOf(deps(6, [{ ctx: ctx(1, 'a'), resources: [rds('acked')] }]), view, 7, undefined),
    ).toMatchObject({
      state: 'publishing',
      published: 6,
      proxies: [],
    });
    // A later revision published counts for an earlier one asked for.
    expect(syncOf(deps(8, [{ ctx: ctx(1, 'a'), resources: [rds('acked')] }]), view, 7, undefined).state).toBe(
      'acked',
    );
  });

  it('fails on a policy problem before looking at proxies', () => {
    const s = syncOf(deps(7, [{ ctx: ctx(1, 'a'), resources: [rds('pending')] }]), view, 7, {
      code: 'SY_POLICY_CONFLICT',
      message: 'owned by default/other',
    });
    expect(s).toMatchObject({ state: 'failed', problem: { code: 'SY_POLICY_CONFLICT' }, proxies: [] });
  });

  it('counts only proxies holding a resource of the model, and waits for every one', () => {
    const streams = [
      {
        ctx: ctx(1, 'a'),
        resources: [rds('acked'), { type: TYPE.CDS, name: 'resnet/v1', state: 'acked' as const }],
      },
      {
        ctx: ctx(2, 'b'),
        resources: [rds('acked'), { type: TYPE.CDS, name: 'resnet/v2', state: 'pending' as const }],
      },
      // Another model's client: not counted.
      {
        ctx: ctx(3, 'c'),
        resources: [rds('pending', 'bert'), { type: TYPE.CDS, name: 'bert/v1', state: 'pending' as const }],
      },
    ];
    const s = syncOf(deps(7, streams), view, 7, undefined);
    expect(s.state).toBe('syncing');
    expect(s.proxies.map((p) => [p.nodeId, p.state, p.acked, p.resources])).toEqual([
      ['a', 'acked', 2, 2],
      ['b', 'pending', 1, 2],
    ]);
    expect(s.proxies[1]!.waitingFor).toEqual(['CDS resnet/v2']);
  });

  it('fails on a NACK with the text the registry recorded for that stream and type', () => {
    const registry = new ProxyRegistry();
    const c = ctx(4, 'envoy-1');
    registry.onStreamOpen(c);
    registry.onNack(c, TYPE.RDS, 'v9', 'bad weights');
    const s = syncOf(deps(7, [{ ctx: c, resources: [rds('nacked')] }], registry), view, 7, undefined);
    expect(s.state).toBe('failed');
    expect(s.proxies[0]!.nack).toEqual({ type: 'RDS', version: 'v9', message: 'bad weights' });
  });

  it('is acked with no proxy using the policy', () => {
    expect(syncOf(deps(7, []), view, 7, undefined)).toMatchObject({ state: 'acked', proxies: [] });
  });
});
