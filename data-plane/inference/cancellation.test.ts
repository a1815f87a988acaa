import { describe, expect, it } from 'vitest';
import { Cancellation } from './cancellation.js';

describe('Cancellation', () => {
  it('starts live, and cancelling calls the listener once and marks it aborted', () => {
    const c = new Cancellation();
    let calls = 0;
    c.onCancel(() => calls++);
    expect(c.aborted).toBe(false);
    c.cancel();
    expect([c.aborted, calls]).toEqual([true, 1]);
  });

  it('calls only the latest listener, and none once it is cleared', () => {
    const seen: string[] = [];
    const c = new Cancellation();
    c.onCancel(() => seen.push('first'));
    c.onCancel(() => seen.push('second'));
    c.cancel();
    expect(seen).toEqual(['second']);
    const d = new Cancellation();
    d.onCancel(() => seen.push('cleared'));
    d.onCancel(undefined);
    d.cancel();
    expect(seen).toEqual(['second']);
  });

  it('is cancelled once: a second cancel calls nothing, not even a listener set since', () => {
    const c = new Cancellation();
    c.cancel();
    let calls = 0;
    c.onCancel(() => calls++);
    c.cancel();
    expect([c.aborted, calls]).toEqual([true, 0]);
  });
});
