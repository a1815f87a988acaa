// The per-key operation chain: one at a time per key, keys apart, a failure does not stop the
// next operation, and a failed operation leaves no rejection unhandled (Node would end the pod).
import { describe, expect, it } from 'vitest';
import { KeyedSerial } from './keyed-serial.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('KeyedSerial', () => {
  it('runs one operation at a time per key, keys concurrently, past failures', async () => {
    const s = new KeyedSerial();
    const log: string[] = [];
    const op =
      (name: string, fail = false) =>
      async () => {
        log.push(`${name} start`);
        await tick();
        log.push(`${name} end`);
        if (fail) throw new Error(name);
      };
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on('unhandledRejection', onRejection);
    try {
      const a1 = s.run('a', op('a1', true));
      const a2 = s.run('a', op('a2'));
      const b1 = s.run('b', op('b1'));
      await expect(a1).rejects.toThrow('a1');
      await Promise.all([a2, b1]);
      await tick();
      expect(log.indexOf('a2 start')).toBeGreaterThan(log.indexOf('a1 end'));
      expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
