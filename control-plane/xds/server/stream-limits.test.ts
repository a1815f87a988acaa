import { describe, expect, it } from 'vitest';
import type { StreamContext } from './stream-context.js';
import { ClientStreamCounter, clientKey, DEFAULT_XDS_LIMITS } from './stream-limits.js';

const ctx = (extra: Partial<StreamContext> = {}): StreamContext => ({
  id: 1,
  protocol: 'sotw',
  peer: '127.0.0.1:54321',
  openedAt: 0,
  ...extra,
});

describe('stream limits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_XDS_LIMITS).toEqual({
      maxStreamsPerConnection: 100,
      maxStreamsPerClient: 32,
      slowReaderTimeoutMs: 60_000,
    });
  });

  it('counts a stream against the verified identity first, then the node id, then the peer host', () => {
    const node = { id: 'envoy-1' } as StreamContext['node'];
    expect(clientKey(ctx({ identity: 'spiffe://x/sa/a' }), node)).toBe('identity spiffe://x/sa/a');
    expect(clientKey(ctx(), node)).toBe('node envoy-1');
    expect(clientKey(ctx(), { id: '' } as StreamContext['node'])).toBe('peer 127.0.0.1');
    expect(clientKey(ctx(), undefined)).toBe('peer 127.0.0.1');
    // Only the trailing port goes: an IPv6 peer keeps its address.
    expect(clientKey(ctx({ peer: '[::1]:443' }), undefined)).toBe('peer [::1]');
    expect(clientKey(ctx({ peer: 'unix:sock' }), undefined)).toBe('peer unix:sock');
  });

  it('admits up to the limit per client, and admits again once a slot is released', () => {
    const c = new ClientStreamCounter(2);
    expect(c.limit).toBe(2);
    expect(c.acquire('a')).toBe(true);
    expect(c.acquire('a')).toBe(true);
    expect(c.acquire('a')).toBe(false);
    expect(c.acquire('b')).toBe(true);
    c.release('a');
    expect(c.acquire('a')).toBe(true);
    expect(c.acquire('a')).toBe(false);
    c.release('a');
    c.release('a');
    // Both released: two fresh slots, and an extra release never yields a third.
    c.release('a');
    expect(c.acquire('a')).toBe(true);
    expect(c.acquire('a')).toBe(true);
    expect(c.acquire('a')).toBe(false);
  });

  it('keeps no entry for a client once its last stream is released', () => {
    // Node ids come and go for the life of the server: a client with no stream must cost nothing.
    const c = new ClientStreamCounter(2);
    const held = (c as unknown as { held: Map<string, number> }).held;
    c.acquire('a');
    c.acquire('a');
    c.release('a');
    expect(held.get('a')).toBe(1);
    c.release('a');
    expect(held.has('a')).toBe(false);
    c.release('never-seen');
    expect(held.size).toBe(0);
  });
});
