import { describe, expect, it } from 'vitest';
import { memoryLogger } from './memory.js';
import { RepeatedFailures } from './repeated-failures.js';

describe('RepeatedFailures', () => {
  it('logs the first failure, counts the rest of the interval, and says when it works again', () => {
    const log = memoryLogger();
    let now = 0;
    const f = new RepeatedFailures(log, 10_000, () => now);
    f.succeeded('tick', 'works again'); // nothing failed: nothing to say
    for (let i = 0; i < 40; i++, now += 250) f.failed('tick', 'tick failed', { error: 'store down' });
    // 40 failures over 10 s: the first, then one line at 10 s with the 39 between.
    f.failed('tick', 'tick failed', { error: 'store down' });
    expect(log.records.map((r) => [r.msg, r.suppressed, r.error])).toEqual([
      ['tick failed', undefined, 'store down'],
      ['tick failed', 39, 'store down'],
    ]);
    f.succeeded('tick', 'works again');
    expect(log.records.at(-1)).toMatchObject({ level: 'info', msg: 'works again', failures: 41 });
    // A new outage right after is logged at once, not counted into the old one.
    now += 100;
    f.failed('tick', 'tick failed', { error: 'again' });
    expect(log.records.at(-1)).toMatchObject({ level: 'warn', msg: 'tick failed', error: 'again' });
    expect(log.records.at(-1)!.suppressed).toBeUndefined();
  });

  it('keeps keys apart', () => {
    const log = memoryLogger();
    const f = new RepeatedFailures(log, 10_000, () => 0);
    f.failed('a', 'step failed', { route: 'a' });
    f.failed('b', 'step failed', { route: 'b' });
    f.failed('a', 'step failed', { route: 'a' });
    expect(log.records.map((r) => r.route)).toEqual(['a', 'b']);
    f.succeeded('b', 'step works again', { route: 'b' });
    expect(log.records.at(-1)).toMatchObject({ route: 'b', failures: 1 });
  });
});
