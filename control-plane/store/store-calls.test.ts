import { describe, expect, it } from 'vitest';
import { PolicyConflictError, StoreError } from '../../kernel/errors/index.js';
import { isCasFailure, isTransient, STORE_TIMEOUT_MS, storeCall } from './store-calls.js';

/** An operation that fails with each of `errors` in turn, then answers `value`. */
function flaky<T>(errors: Error[], value: T) {
  const retries: boolean[] = [];
  const fn = async (retry: boolean) => {
    retries.push(retry);
    const e = errors.shift();
    if (e) throw e;
    return value;
  };
  return { fn, retries };
}

describe('storeCall', () => {
  it('tries a transiently failing operation again, telling it that it is a retry', async () => {
    const f = flaky([new Error('TIMEOUT'), new Error('503 no responders')], 7);
    await expect(storeCall('write x', f.fn)).resolves.toBe(7);
    expect(f.retries).toEqual([false, true, true]);
  });

  it('does not retry what is not transient, nor with retry: false, nor our own errors', async () => {
    const refused = flaky([new Error('maximum bytes exceeded')], 1);
    await expect(storeCall('write x', refused.fn)).rejects.toThrow(
      'policy store: cannot write x: NATS JetStream refused the operation',
    );
    expect(refused.retries).toEqual([false]);
    const once = flaky([new Error('timeout')], 1);
    await expect(storeCall('claim', once.fn, { retry: false })).rejects.toBeInstanceOf(StoreError);
    expect(once.retries).toEqual([false]);
    const ours = flaky([new PolicyConflictError('changed')], 1);
    await expect(storeCall('write x', ours.fn)).rejects.toBeInstanceOf(PolicyConflictError);
    expect(ours.retries).toEqual([false]);
  });

  it('gives up at the deadline with SY_STORE, however many attempts that took', async () => {
    let attempts = 0;
    const t0 = Date.now();
    const err = await storeCall('list policies', async () => {
      attempts++;
      throw new Error('timeout');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toBe(
      `policy store: cannot list policies: no answer within ${STORE_TIMEOUT_MS} ms`,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 50);
    expect(attempts).toBeGreaterThan(3);
    // No attempt starts after the deadline.
    const after = attempts;
    await new Promise((r) => setTimeout(r, 200));
    expect(attempts).toBe(after);
  });

  it('names what the attempts ran into when the deadline comes between them', async () => {
    const electing = await storeCall('read x', async () => {
      throw new Error('JetStream system temporarily unavailable');
    }).catch((e: unknown) => e);
    expect((electing as StoreError).message).toBe(
      `policy store: cannot read x: NATS JetStream stayed unavailable for ${STORE_TIMEOUT_MS} ms`,
    );
    const unanswered = await storeCall('read x', async () => {
      throw new Error('jetstream is not enabled', { cause: new Error('503') });
    }).catch((e: unknown) => e);
    expect((unanswered as StoreError).message).toBe(
      'policy store: cannot read x: NATS JetStream is not reachable',
    );
  });

  it('knows a lost compare-and-set inside the StoreError that wraps it', () => {
    const lost = new Error('wrong last sequence: 7');
    expect(isCasFailure(lost)).toBe(true);
    expect(isCasFailure(new StoreError('policy store: cannot write x: refused', { cause: lost }))).toBe(true);
    expect(isCasFailure(new StoreError('policy store: cannot write x: refused'))).toBe(false);
  });

  it('knows transient failures by their messages', () => {
    for (const m of [
      'TIMEOUT',
      'no responders',
      '503',
      'JetStream system temporarily unavailable',
      'no leader',
      'jetstream is not enabled',
    ])
      expect(isTransient(new Error(m)), m).toBe(true);
    for (const m of ['wrong last sequence: 4', 'maximum messages exceeded', 'invalid key'])
      expect(isTransient(new Error(m)), m).toBe(false);
    // A cause counts: the JetStream client wraps what the connection reported.
    expect(isTransient(new Error('request failed', { cause: new Error('no responders') }))).toBe(true);
  });
});
