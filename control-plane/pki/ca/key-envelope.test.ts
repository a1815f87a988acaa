import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KeyEncryptionKey, openKey, sealKey } from '../../../kernel/crypto/index.js';
import { KekError, KeyDecryptError } from '../errors.js';
import { issueLocally } from '../issuance/local-issue.js';
import { CertificateAuthority, MemoryCaStore } from './authority.js';

const secret = Buffer.from('0123456789abcdef0123456789abcdef-a-pkcs8-key');
const fileKek = KeyEncryptionKey.fromKeyBytes(Buffer.alloc(32, 7), 'test');
// A small scrypt cost keeps the suite fast; the format records N, so opening uses the same.
const fast = { N: 1024, r: 8, p: 1 };

describe('encrypted key envelopes', () => {
  it('round-trips under a key-file KEK (HKDF) and a passphrase KEK (scrypt)', async () => {
    expect(await openKey(await sealKey(secret, fileKek, 'signing/g1'), fileKek, 'signing/g1')).toEqual(
      secret,
    );
    const pass = KeyEncryptionKey.fromPassphrase('correct horse battery staple');
    const sealed = await sealKey(secret, pass, 'root/g1', fast);
    expect(JSON.parse(sealed).kdf).toMatchObject({ name: 'scrypt', N: 1024, r: 8, p: 1 });
    expect(sealed).not.toContain(secret.toString('base64'));
    expect(await openKey(sealed, pass, 'root/g1')).toEqual(secret);
  });

  it('detects a flipped ciphertext byte, an edited header, a swapped label and a wrong KEK', async () => {
    const sealed = await sealKey(secret, fileKek, 'signing/g1');
    const e = JSON.parse(sealed);
    const ct = Buffer.from(e.ciphertext, 'base64');
    ct[3]! ^= 1;
    const flipped = JSON.stringify({ ...e, ciphertext: ct.toString('base64') });
    await expect(openKey(flipped, fileKek, 'signing/g1')).rejects.toThrow(/authentication failed/);
    const relabelled = JSON.stringify({ ...e, label: 'signing/g2' });
    await expect(openKey(relabelled, fileKek, 'signing/g2')).rejects.toThrow(KeyDecryptError);
    const salted = JSON.stringify({ ...e, kdf: { ...e.kdf, salt: Buffer.alloc(16).toString('base64') } });
    await expect(openKey(salted, fileKek, 'signing/g1')).rejects.toThrow(/authentication failed/);
    await expect(openKey(sealed, fileKek, 'root/g1')).rejects.toThrow(/labelled "signing\/g1"/);
    const other = KeyEncryptionKey.fromKeyBytes(Buffer.alloc(32, 8));
    await expect(openKey(sealed, other, 'signing/g1')).rejects.toMatchObject({ code: 'SY_PKI_KEY_DECRYPT' });
    const short = JSON.stringify({
      ...e,
      tag: Buffer.from(e.tag, 'base64').subarray(0, 4).toString('base64'),
    });
    await expect(openKey(short, fileKek, 'signing/g1')).rejects.toThrow(KeyDecryptError);
  });

  it('refuses an envelope whose scrypt cost would be a denial of service', async () => {
    const pass = KeyEncryptionKey.fromPassphrase('correct horse battery staple');
    const e = JSON.parse(await sealKey(secret, pass, 'x', fast));
    await expect(openKey(JSON.stringify({ ...e, kdf: { ...e.kdf, N: 2 ** 24 } }), pass, 'x')).rejects.toThrow(
      /out of bounds/,
    );
  });

  it('never prints the KEK', () => {
    const kek = KeyEncryptionKey.fromPassphrase('correct horse battery staple');
    for (const text of [
      String(kek),
      JSON.stringify({ kek }),
      inspect(kek),
      inspect({ nested: { kek } }),
      `${kek}`,
    ])
      expect(text).not.toContain('horse');
    expect(inspect(kek)).toBe('KeyEncryptionKey([redacted])');
  });

  it('redacts every key holder, not only the KEK', async () => {
    const ca = await CertificateAuthority.create({ trustDomain: 'td', store: new MemoryCaStore() });
    const { material } = await issueLocally(ca, 'spiffe://td/ns/a/sa/b');
    expect(material.privateKey).toMatch(/BEGIN PRIVATE KEY/);
    for (const holder of [material, ca, ca.activeGeneration()]) {
      for (const text of [
        String(holder),
        JSON.stringify({ holder }),
        inspect(holder, { depth: 9, showHidden: true }),
      ])
        expect(text).not.toMatch(/PRIVATE KEY|privateKey|BEGIN/);
    }
    expect(JSON.stringify({ ...material })).not.toContain('PRIVATE KEY');
  });

  it('refuses weak or missing KEKs', () => {
    expect(() => KeyEncryptionKey.fromPassphrase('short')).toThrow(KekError);
    expect(() => KeyEncryptionKey.fromKeyBytes(Buffer.alloc(16))).toThrow(KekError);
    expect(() => KeyEncryptionKey.fromEnvironment({})).toThrow(/SWITCHYARD_PKI_KEK/);
    expect(KeyEncryptionKey.fromEnvironment({ SWITCHYARD_PKI_KEK: 'a passphrase of length' }).kind).toBe(
      'passphrase',
    );
  });
});
