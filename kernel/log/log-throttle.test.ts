import { describe, expect, it } from 'vitest';
import { LogThrottle } from './log-throttle.js';

describe('log throttle', () => {
  it('logs the first event of a key, counts the rest of the interval, and reports them with the next line', () => {
    const t = new LogThrottle(1000);
    expect(t.event('heartbeat:SY_X', 0)).toEqual({ key: 'heartbeat:SY_X', suppressed: 0 });
    for (let i = 1; i <= 19_999; i++) expect(t.event('heartbeat:SY_X', i * 0.01)).toBeUndefined();
    expect(t.event('heartbeat:SY_X', 1000)).toEqual({ key: 'heartbeat:SY_X', suppressed: 19_999 });
    expect(t.event('heartbeat:SY_X', 1500)).toBeUndefined();
  });

  it('keeps keys apart', () => {
    const t = new LogThrottle(1000);
    expect(t.event('a', 0)).toBeDefined();
    expect(t.event('b', 1)).toBeDefined();
    expect(t.event('a', 2)).toBeUndefined();
  });

  it('flushes counts whose interval has passed, once', () => {
    const t = new LogThrottle(1000);
    t.event('a', 0);
    t.event('a', 10);
    t.event('a', 20);
    expect(t.flush(500)).toEqual([]);
    expect(t.flush(1000)).toEqual([{ key: 'a', suppressed: 2 }]);
    expect(t.flush(5000)).toEqual([]);
  });

  it('bounds the keys it remembers', () => {
    const t = new LogThrottle(1000, 3);
    for (const k of ['a', 'b', 'c', 'd', 'e']) expect(t.event(k, 0)).toBeDefined();
    expect((t as unknown as { keys: Map<string, unknown> }).keys.size).toBeLessThanOrEqual(3);
  });
});
