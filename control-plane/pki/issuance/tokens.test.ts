import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../errors.js';
import {
  BootstrapTokens,
  DEFAULT_TOKEN_TTL_MS,
  FileTokenStore,
  hashToken,
  MemoryTokenStore,
} from './tokens.js';

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

  it('makes syt_ plus 32 random bytes, valid for an hour by default, and still valid a millisecond before expiry', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const tokens = new BootstrapTokens(new MemoryTokenStore(), 'td', () => new Date(now));
    const { token, expiresAt } = await tokens.create(ID);
    expect(token).toMatch(/^syt_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(DEFAULT_TOKEN_TTL_MS).toBe(3_600_000);
    expect(expiresAt.getTime()).toBe(now + 3_600_000);
    now += 3_600_000 - 1;
    expect(await tokens.redeem(token)).toBe(ID);
  });

  it('refuses a token that is not exactly syt_ and 43 base64url characters, before any lookup', async () => {
    const store = new MemoryTokenStore();
    const tokens = new BootstrapTokens(store, 'td');
    const { token } = await tokens.create(ID);
    for (const bad of [
      `${token}x`,
      `x${token}`,
      token.slice(0, -1),
      token.replace('syt_', 'syx_'),
      `${token.slice(0, -1)}=`,
    ]) {
      await expect(tokens.redeem(bad)).rejects.toThrow(new UnauthenticatedError('malformed bootstrap token'));
    }
    await expect(tokens.redeem(42 as unknown as string)).rejects.toThrow('malformed bootstrap token');
    // None of those spent the real one.
    expect(store.size).toBe(1);
    await expect(tokens.redeem(`syt_${'A'.repeat(43)}`)).rejects.toThrow(
      new UnauthenticatedError('unknown or already used bootstrap token'),
    );
    await expect(tokens.redeem(token)).resolves.toBe(ID);
  });

  it('hashes with SHA-256 in hex, and the file store keeps records readable only by its owner', async () => {
    // Written out: `printf syt_x | sha256sum`.
    expect(hashToken('syt_x')).toBe('eb8482d565d5d60677945bf8db0e772bebd58e78d3b69f840dc9a13c77861736');
    const sub = join(dir, 'mode');
    const store = new FileTokenStore(sub);
    await store.put('a'.repeat(64), { identity: ID, expiresAt: 1 });
    expect((await stat(join(sub, `${'a'.repeat(64)}.json`))).mode & 0o777).toBe(0o600);
    expect((await stat(sub)).mode & 0o777).toBe(0o700);
    // Only a hash names a file: anything else (a path) is never looked up.
    expect(await store.take(`../mode/${'a'.repeat(64)}`)).toBeUndefined();
    expect(await store.take('A'.repeat(64))).toBeUndefined();
    expect(await store.take('a'.repeat(64))).toEqual({ identity: ID, expiresAt: 1 });
    expect(await store.take('a'.repeat(64))).toBeUndefined();
  });

  it('refuses a token wrapped in a list as malformed, though its text form is a valid token', async () => {
    // A JSON body may carry any type; String([token]) is the token itself.
    const store = new MemoryTokenStore();
    const tokens = new BootstrapTokens(store, 'td');
    const { token } = await tokens.create(ID);
    await expect(tokens.redeem([token] as unknown as string)).rejects.toThrow(
      new UnauthenticatedError('malformed bootstrap token'),
    );
    expect(store.size).toBe(1);
  });

  it('never claims a file outside its directory for a hash followed by a path', async () => {
    const outside = join(dir, 'victim.json');
    await writeFile(outside, JSON.stringify({ identity: ID, expiresAt: 1 }));
    const store = new FileTokenStore(join(dir, 'store'));
    expect(await store.take(`${'a'.repeat(64)}/../../victim`)).toBeUndefined();
    expect(await readFile(outside, 'utf8')).toBe(JSON.stringify({ identity: ID, expiresAt: 1 }));
    await rm(outside);
  });
});
