// The translator's cache on its own: what intern() builds once, what sweep() forgets, and the
// counts the tests elsewhere read (translator.test.ts follows it through real translations).
import { describe, expect, it } from 'vitest';
import { TranslationCache } from './translation-cache.js';

function counter() {
  const built: string[] = [];
  return {
    built,
    build: (v: string) => () => {
      built.push(v);
      return { v };
    },
  };
}

describe('TranslationCache', () => {
  it('builds a (kind, key) once and hands back the same value; kinds are separate', () => {
    const cache = new TranslationCache();
    const { built, build } = counter();
    const a = cache.intern('duration', '1s', build('a'));
    expect(cache.intern('duration', '1s', build('again'))).toBe(a);
    const b = cache.intern('duration', '2s', build('b'));
    const c = cache.intern('retry', '1s', build('c'));
    expect(b).not.toBe(a);
    expect(c).not.toBe(a);
    expect(built).toEqual(['a', 'b', 'c']);
    expect(cache.size('duration')).toBe(2);
    expect(cache.size('retry')).toBe(1);
    expect(cache.size('nothing')).toBe(0);
    expect(cache.size()).toBe(3);
    expect(cache.has('retry', '1s')).toBe(true);
    expect(cache.has('retry', '2s')).toBe(false);
    expect(cache.has('nothing', '1s')).toBe(false);
  });

  it('forgets at a sweep only what was not used since the previous sweep', () => {
    const cache = new TranslationCache();
    const { built, build } = counter();
    const kept = cache.intern('k', 'kept', build('kept'));
    cache.intern('k', 'dropped', build('dropped'));
    cache.intern('other', 'x', build('x'));
    // The first sweep keeps everything built since the cache was made.
    cache.sweep();
    expect(cache.size()).toBe(3);
    // A hit counts as a use: `kept` survives the next sweep, the other two do not.
    expect(cache.intern('k', 'kept', build('kept again'))).toBe(kept);
    cache.sweep();
    expect(cache.has('k', 'kept')).toBe(true);
    expect(cache.has('k', 'dropped')).toBe(false);
    expect(cache.has('other', 'x')).toBe(false);
    expect(cache.size()).toBe(1);
    // Unused through a whole generation: gone, and built anew when asked for again.
    cache.sweep();
    expect(cache.size()).toBe(0);
    const rebuilt = cache.intern('k', 'kept', build('rebuilt'));
    expect(rebuilt).not.toBe(kept);
    expect(built).toEqual(['kept', 'dropped', 'x', 'rebuilt']);
  });

  it('interns one Locality per (region, zone, sub-zone), whatever the parts contain', () => {
    const cache = new TranslationCache();
    const l = cache.locality('eu', 'a', 'rack1');
    expect(l).toEqual({
      $typeName: 'envoy.config.core.v3.Locality',
      region: 'eu',
      zone: 'a',
      subZone: 'rack1',
    });
    expect(cache.locality('eu', 'a', 'rack1')).toBe(l);
    // The parts are joined with a character no name contains, so these stay apart.
    const moved = cache.locality('eua', '', 'rack1');
    expect(moved).not.toBe(l);
    expect(moved).toEqual({
      $typeName: 'envoy.config.core.v3.Locality',
      region: 'eua',
      zone: '',
      subZone: 'rack1',
    });
    expect(cache.size('locality')).toBe(2);
  });
});
