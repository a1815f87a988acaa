// The callback fan-out and the nonces of stream-context.ts: every event reaches every callback set
// that has a hook for it, with its arguments as given, and a set without the hook is skipped.
import { describe, expect, it, vi } from 'vitest';
import { TYPE } from '../resource-types.js';
import { combineCallbacks, type StreamContext, type XdsCallbacks } from './stream-context.js';

const ctx: StreamContext = { id: 7, protocol: 'delta', peer: 'ipv4:127.0.0.1:1', openedAt: 0 };

/** A callback set with every hook, recording `[tag, hook, ...args after ctx]`. */
function recorder(tag: string, log: unknown[][]): Required<XdsCallbacks> {
  const hook =
    (name: string) =>
    (c: StreamContext, ...args: unknown[]) => {
      expect(c).toBe(ctx);
      log.push([tag, name, ...args]);
    };
  return {
    onStreamOpen: hook('open'),
    onNodeIdentified: hook('identified'),
    onStreamClose: hook('close'),
    onStreamRefused: hook('refused'),
    onResponse: hook('response'),
    onAck: hook('ack'),
    onNack: hook('nack'),
    onStaleNonce: hook('stale'),
    onUnknownType: hook('unknown'),
    onSlowReaderClosed: hook('slow'),
  };
}

describe('combineCallbacks', () => {
  it('hands each event to every set in order, skipping sets without that hook', () => {
    const log: unknown[][] = [];
    const all = combineCallbacks(recorder('a', log), {}, recorder('b', log));
    all.onStreamOpen(ctx);
    all.onNodeIdentified(ctx);
    all.onStreamRefused(ctx, 16, 'no');
    all.onResponse(ctx, TYPE.CDS, 'v1', 3, 'n1');
    all.onAck(ctx, TYPE.CDS, 'v1', 12);
    all.onNack(ctx, TYPE.RDS, 'v2', 'bad', ['r']);
    all.onStaleNonce(ctx, TYPE.EDS, 'n0');
    all.onUnknownType(ctx, 'type.googleapis.com/x');
    all.onSlowReaderClosed(ctx, 4);
    all.onStreamClose(ctx);
    const both = (...e: unknown[]) => [
      ['a', ...e],
      ['b', ...e],
    ];
    expect(log).toEqual([
      ...both('open'),
      ...both('identified'),
      ...both('refused', 16, 'no'),
      ...both('response', TYPE.CDS, 'v1', 3, 'n1'),
      ...both('ack', TYPE.CDS, 'v1', 12),
      ...both('nack', TYPE.RDS, 'v2', 'bad', ['r']),
      ...both('stale', TYPE.EDS, 'n0'),
      ...both('unknown', 'type.googleapis.com/x'),
      ...both('slow', 4),
      ...both('close'),
    ]);
  });

  it('calls each hook once per event, and nothing at all with no sets', () => {
    const onAck = vi.fn();
    combineCallbacks({ onAck }).onAck(ctx, TYPE.LDS, 'v', 1);
    expect(onAck).toHaveBeenCalledTimes(1);
    expect(() => combineCallbacks().onStreamClose(ctx)).not.toThrow();
  });
});

describe('nextNonce', () => {
  it('never repeats in a process, and a restarted process starts from another prefix', async () => {
    vi.resetModules();
    const first = await import('./stream-context.js');
    const a = first.nextNonce();
    const b = first.nextNonce();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-z]+-1$/);
    expect(b).toMatch(/^[0-9a-z]+-2$/);
    const prefix = (n: string) => n.slice(0, n.lastIndexOf('-'));
    expect(prefix(b)).toBe(prefix(a));
    // A fresh module instance stands for a restarted server: a proxy still holding a nonce from
    // the old process must not match one the new process hands out. Two draws from 16M prefixes
    // collide with probability 6e-8, so three tries make a false failure practically impossible.
    const others = new Set<string>();
    for (let i = 0; i < 3; i++) {
      vi.resetModules();
      const again = await import('./stream-context.js');
      others.add(prefix(again.nextNonce()));
    }
    others.delete(prefix(a));
    expect(others.size).toBeGreaterThan(0);
  });
});
