import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../errors.js';
import { BootstrapTokens, FileTokenStore, hashToken, MemoryTokenStore } from './tokens.js';

const ID = 'spiffe://td/ns/default/sa/web';

describe('bootstrap tokens', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-tokens-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stores only the hash, redeems once for its identity', async () => {
    const store = new MemoryTokenStore();
    const tokens = new BootstrapTokens(store, 'td');
    const { token } = await tokens.create(ID);
    expect(await tokens.redeem(token)).toBe(ID);
    await expect(tokens.redeem(token)).rejects.toThrow(/unknown or already used/);
    expect(store.size).toBe(0);
    await expect(tokens.redeem('syt_short')).rejects.toThrow(/malformed/);
    await expect(tokens.create('spiffe://other/ns/a/sa/b')).rejects.toThrow(/not "td"/);
  });

  it('lets exactly one of many concurrent redeemers through a shared directory', async () => {
    const writer = new BootstrapTokens(new FileTokenStore(dir), 'td');
    const { token } = await writer.create(ID);
    const files = await readdir(dir);
    expect(files).toEqual([`${hashToken(token)}.json`]);
    expect(await readFile(join(dir, files[0]!), 'utf8')).not.toContain(token);
    // Separate store objects, as separate server processes would have.
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => new BootstrapTokens(new FileTokenStore(dir), 'td').redeem(token)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof UnauthenticatedError),
    ).toHaveLength(7);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an expired token and spends it anyway', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const store = new MemoryTokenStore();
    const tokens = new BootstrapTokens(store, 'td', () => new Date(now));
    const { token, expiresAt } = await tokens.create(ID, 60_000);
    expect(expiresAt.getTime()).toBe(now + 60_000);
    now += 60_000;
    await expect(tokens.redeem(token)).rejects.toThrow(/expired/);
    expect(store.size).toBe(0);
  });
});
