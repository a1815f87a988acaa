import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../kernel/errors/index.js';
import { boundEvent, MAX_AUDIT_DIFF_BYTES, MAX_AUDIT_REASON } from './audit-bounds.js';
import type { AuditEvent } from './audit-chain.js';

const base: AuditEvent = {
  action: 'apply',
  who: 'apikey:ci',
  at: '2026-01-01T00:00:00.000Z',
  from: '127.0.0.1',
  namespace: 'default',
  name: 'resnet',
};

describe('boundEvent', () => {
  it('keeps a small event as it is', () => {
    const e = { ...base, diff: '+a\n', reason: 'why' };
    expect(boundEvent(e, 1024 * 1024)).toEqual(e);
  });

  it('replaces a diff over 64 KiB by its SHA-256 and size, even when the server takes more', () => {
    const diff = `+${'x'.repeat(MAX_AUDIT_DIFF_BYTES)}`;
    const out = boundEvent({ ...base, diff }, 8 * 1024 * 1024);
    expect(out.diff).toBeUndefined();
    expect(out.diffSha256).toBe(createHash('sha256').update(diff).digest('hex'));
    expect(out.diffBytes).toBe(MAX_AUDIT_DIFF_BYTES + 1);
  });

  it('replaces a smaller diff that would not fit the server’s max_payload', () => {
    const diff = 'é'.repeat(10_000);
    const out = boundEvent({ ...base, diff }, 16 * 1024);
    expect(out.diffBytes).toBe(20_000);
    expect(boundEvent({ ...base, diff }, 64 * 1024).diff).toBe(diff);
  });

  it('cuts a long reason at 1,024 characters', () => {
    const out = boundEvent({ ...base, reason: '🙂'.repeat(5000) }, 1024 * 1024);
    expect([...(out.reason ?? '')]).toHaveLength(MAX_AUDIT_REASON);
    expect(out.reason?.endsWith('…')).toBe(true);
  });

  it('refuses, naming the policy, what still does not fit', () => {
    expect(() => boundEvent({ ...base, from: 'x'.repeat(10_000) }, 8 * 1024)).toThrow(StoreError);
    expect(() => boundEvent({ ...base, from: 'x'.repeat(10_000) }, 8 * 1024)).toThrow(/default\/resnet/);
  });

  it('keeps a diff of exactly 64 KiB and a reason of exactly 1,024 characters', () => {
    const e = { ...base, diff: 'x'.repeat(MAX_AUDIT_DIFF_BYTES), reason: '🙂'.repeat(MAX_AUDIT_REASON) };
    expect(boundEvent(e, 8 * 1024 * 1024)).toEqual(e);
  });

  it('takes a record that fills the server’s max_payload less 2,048 bytes of envelope exactly', () => {
    const withDiff = { ...base, diff: 'x'.repeat(5000) };
    const exact = Buffer.byteLength(JSON.stringify(withDiff)) + 2048;
    expect(boundEvent(withDiff, exact)).toEqual(withDiff);
    expect(boundEvent(withDiff, exact - 1).diffBytes).toBe(5000);
    const noDiff = { ...base, from: 'x'.repeat(5000) };
    const fits = Buffer.byteLength(JSON.stringify(noDiff)) + 2048;
    expect(boundEvent(noDiff, fits)).toEqual(noDiff);
    expect(() => boundEvent(noDiff, fits - 1)).toThrow(
      `audit record for default/resnet is ${fits - 2048} bytes, over the ${fits - 2049} the NATS server accepts`,
    );
  });
});
