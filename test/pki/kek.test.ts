// The key-encryption key's file form: what a generated key file reads back as, and what a
// hand-edited one (with an editor's trailing newline) reads back as.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyEncryptionKey } from '../../control-plane/pki/index.js';

describe('key-encryption key files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-kek-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads back every generated key file whole (a random last byte may be CR or LF)', async () => {
    // 2,000 draws: a plain randomBytes(32) ends in CR or LF about 15 times in as many.
    for (let i = 0; i < 2000; i++) {
      const bytes = KeyEncryptionKey.newKeyFileBytes();
      expect(bytes.length).toBe(32);
      expect([0x0a, 0x0d]).not.toContain(bytes[31]);
    }
    const file = join(dir, 'generated');
    const bytes = KeyEncryptionKey.newKeyFileBytes();
    await writeFile(file, bytes);
    expect(KeyEncryptionKey.fromFile(file).exposeForDerivation().equals(bytes)).toBe(true);
  });

  it('drops an editor’s trailing newline, and refuses a key a byte short with the file named', async () => {
    const key = Buffer.alloc(32, 7);
    const edited = join(dir, 'edited');
    await writeFile(edited, Buffer.concat([key, Buffer.from('\r\n')]));
    expect(KeyEncryptionKey.fromFile(edited).exposeForDerivation().equals(key)).toBe(true);
    const short = join(dir, 'short');
    await writeFile(short, Buffer.concat([key.subarray(0, 31), Buffer.from('\n')]));
    expect(() => KeyEncryptionKey.fromFile(short)).toThrow(`${short}: a key needs at least 32 bytes, got 31`);
  });

  it('creates a key file 0600 and says which path it could not create, never writing over one', async () => {
    const file = join(dir, 'created');
    KeyEncryptionKey.createKeyFile(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const key = KeyEncryptionKey.fromFile(file).exposeForDerivation();
    expect(key.length).toBe(32);
    expect(() => KeyEncryptionKey.createKeyFile(file)).toThrow(`cannot create key file ${file}: EEXIST`);
    expect(KeyEncryptionKey.fromFile(file).exposeForDerivation().equals(key)).toBe(true);
    const missing = join(dir, 'no-such-dir', 'kek');
    expect(() => KeyEncryptionKey.createKeyFile(missing)).toThrow(
      expect.objectContaining({
        code: 'SY_PKI_KEK_INVALID',
        message: expect.stringContaining(`${missing}: ENOENT`),
      }),
    );
  });
});
