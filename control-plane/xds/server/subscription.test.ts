// The xDS wildcard and subscription rules of one stream (docs/XDS.md), name by name.
import { describe, expect, it } from 'vitest';
import { Subscription, WILDCARD } from './subscription.js';

describe('SotW subscription (replace)', () => {
  it('treats a first empty list as a legacy wildcard that empty ACKs keep', () => {
    const s = new Subscription();
    expect(s.replace([], true)).toEqual([]);
    expect(s.wildcard).toBe(true);
    expect(s.wants('anything')).toBe(true);
    expect(s.replace([], false)).toEqual([]);
    expect(s.wildcard).toBe(true);
    expect(s.describe()).toEqual(['*']);
  });

  it('unsubscribes everything when a named stream sends an empty list', () => {
    const s = new Subscription();
    expect(s.replace(['b', 'a'], true)).toEqual(['b', 'a']);
    expect(s.wildcard).toBe(false);
    expect(s.wants('a')).toBe(true);
    expect(s.wants('c')).toBe(false);
    expect(s.replace([], false)).toEqual([]);
    expect(s.wants('a')).toBe(false);
    expect(s.wildcard).toBe(false);
    expect(s.describe()).toEqual([]);
  });

  it('leaves the legacy wildcard once names are sent, so a later empty list unsubscribes', () => {
    const s = new Subscription();
    s.replace([], true);
    expect(s.replace(['a'], false)).toEqual(['a']);
    expect(s.wildcard).toBe(false);
    expect(s.wants('b')).toBe(false);
    s.replace([], false);
    expect(s.wildcard).toBe(false);
    expect(s.wants('a')).toBe(false);
  });

  it('subscribes explicitly with "*" next to names, and drops the wildcard when "*" goes', () => {
    const s = new Subscription();
    expect(s.replace([WILDCARD, 'a'], true)).toEqual(['a']);
    expect(s.wildcard).toBe(true);
    expect(s.describe()).toEqual(['*', 'a']);
    // The same list again (an ACK): nothing new.
    expect(s.replace(['a', WILDCARD], false)).toEqual([]);
    expect(s.wildcard).toBe(true);
    // Without "*": the same names, the wildcard gone.
    expect(s.replace(['a'], false)).toEqual([]);
    expect(s.wildcard).toBe(false);
    expect(s.wants('b')).toBe(false);
    expect(s.replace([WILDCARD, 'a'], false)).toEqual([]);
    expect(s.wildcard).toBe(true);
    expect(s.replace([], false)).toEqual([]);
    expect(s.wildcard).toBe(false);
  });

  it('returns only the names not held before, and forgets the names left out', () => {
    const s = new Subscription();
    s.replace(['a', 'b'], true);
    expect(s.replace(['b', 'c'], false)).toEqual(['c']);
    expect(s.describe()).toEqual(['b', 'c']);
    expect(s.wants('a')).toBe(false);
    // A subset of the held names is a change, not an ACK.
    expect(s.replace(['b'], false)).toEqual([]);
    expect(s.describe()).toEqual(['b']);
    // Repeated names count once.
    expect(s.replace(['b', 'b', 'd'], false)).toEqual(['d']);
    expect(s.describe()).toEqual(['b', 'd']);
  });

  it('drops a held name when the list repeats another held name in its place', () => {
    const s = new Subscription();
    s.replace(['b', 'd'], true);
    // As many entries as names held, every entry held, yet d is no longer asked for.
    expect(s.replace(['b', 'b'], false)).toEqual([]);
    expect(s.describe()).toEqual(['b']);
    expect(s.wants('d')).toBe(false);
    // The same with the wildcard: "*" repeated in place of a name.
    const w = new Subscription();
    w.replace([WILDCARD, 'a'], true);
    expect(w.replace([WILDCARD, WILDCARD], false)).toEqual([]);
    expect(w.describe()).toEqual(['*']);
    expect(w.replace(['a', 'a', WILDCARD], false)).toEqual(['a']);
    expect(w.replace(['a', 'a', 'a'], false)).toEqual([]);
    expect(w.describe()).toEqual(['a']);
  });

  it('returns nothing new for an ACK that repeats the list exactly as it was sent', () => {
    const s = new Subscription();
    expect(s.replace(['a', 'b'], true)).toEqual(['a', 'b']);
    expect(s.replace(['a', 'b'], false)).toEqual([]);
    expect(s.replace(['a', 'b'], false)).toEqual([]);
    expect(s.describe()).toEqual(['a', 'b']);
  });

  it('treats the same list in another order as unchanged', () => {
    const s = new Subscription();
    s.replace(['a', WILDCARD, 'b'], true);
    expect(s.replace(['b', 'a', WILDCARD], false)).toEqual([]);
    expect(s.describe()).toEqual(['*', 'a', 'b']);
  });
});

describe('delta subscription (change)', () => {
  it('makes a first request without names a wildcard, and not a later one', () => {
    const s = new Subscription();
    expect(s.change([], [], true)).toEqual([]);
    expect(s.wildcard).toBe(true);
    const t = new Subscription();
    expect(t.change([], [], false)).toEqual([]);
    expect(t.wildcard).toBe(false);
    const u = new Subscription();
    expect(u.change(['a'], [], true)).toEqual(['a']);
    expect(u.wildcard).toBe(false);
  });

  it('adds and removes names and the wildcard explicitly, returning only new names', () => {
    const s = new Subscription();
    expect(s.change(['a', WILDCARD, 'b'], [], true)).toEqual(['a', 'b']);
    expect(s.describe()).toEqual(['*', 'a', 'b']);
    expect(s.change(['a', 'c'], ['b', WILDCARD], false)).toEqual(['c']);
    expect(s.describe()).toEqual(['a', 'c']);
    expect(s.wants('b')).toBe(false);
    expect(s.wants('x')).toBe(false);
  });

  it('keys a subscription by what it wants, whatever the order it was asked in, after every change', () => {
    const a = new Subscription();
    const b = new Subscription();
    a.replace(['y', 'x'], true);
    b.replace(['x', 'y'], true);
    expect(a.key()).toBe(b.key());
    expect(a.sorted()).toEqual(['x', 'y']);
    // An ACK repeating the list keeps the key; a new list, a delta change or the wildcard moves it.
    a.replace(['y', 'x'], false);
    expect(a.key()).toBe(b.key());
    a.replace(['x'], false);
    expect(a.sorted()).toEqual(['x']);
    expect(a.key()).not.toBe(b.key());
    a.change(['y'], [], false);
    expect(a.key()).toBe(b.key());
    a.change([WILDCARD], [], false);
    expect(a.sorted()).toEqual(['x', 'y']);
    expect(a.key()).not.toBe(b.key());
    const w = new Subscription();
    w.replace([], true);
    expect(w.key()).not.toBe(new Subscription().key());
  });
});
