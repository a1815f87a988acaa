// A CA kept on disk: keys sealed under the KEK (never in clear on disk), state that survives a
// restart and a rotation, tamper and wrong-key detection, and an operator-supplied CA.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaError,
  CaGeneration,
  initFileCa,
  issueLocally,
  KeyDecryptError,
  KeyEncryptionKey,
  openFileCa,
  readOperatorKey,
  verifyChain,
} from '../../control-plane/pki/index.js';
import { pemBlocks, toPem } from '../../kernel/tls/index.js';
import { TD, WEB } from '../helpers/pki.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('file-backed CA', () => {
  let root: string;
  const kek = KeyEncryptionKey.fromKeyBytes(randomBytes(32));
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sy-ca-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('seals every private key, and reopens to the same CA', async () => {
    const dir = join(root, 'a');
    const ca = await initFileCa(dir, kek, TD);
    const files = await filesUnder(dir);
    const keys = files.filter((f) => f.endsWith('.key'));
    expect(keys).toHaveLength(2);
    for (const f of keys) {
      expect((await stat(f)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(f, 'utf8'))).toMatchObject({
        format: 'switchyard-encrypted-key',
        cipher: 'aes-256-gcm',
      });
    }
    for (const f of files) expect(await readFile(f, 'utf8')).not.toMatch(/PRIVATE KEY/);
    const again = await openFileCa(dir, kek);
    expect(again.trustBundle().version).toBe(ca.trustBundle().version);
    const leaf = await issueLocally(again, WEB);
    const chain = pemBlocks(leaf.material.certificateChain);
    expect(
      verifyChain(chain[0]!, chain.slice(1), { roots: pemBlocks(ca.trustBundle().pem) }, new Date()),
    ).toEqual({ ok: true });
    await expect(initFileCa(dir, kek, TD)).rejects.toThrow(/a CA exists in .* already/);
  });

  it('persists a rotation and deletes the keys of a dropped generation', async () => {
    const dir = join(root, 'b');
    const ca = await initFileCa(dir, kek, TD);
    const first = ca.generations()[0]!.id;
    await ca.rotate();
    const reopened = await openFileCa(dir, kek);
    expect(reopened.generations().map((g) => g.state)).toEqual(['retired', 'active']);
    expect(reopened.trustBundle().roots).toHaveLength(2);
    await reopened.dropGeneration(first);
    const names = (await readdir(join(dir, 'keys'))).join(' ');
    expect(names).not.toContain(first);
    expect((await openFileCa(dir, kek)).generations()).toHaveLength(1);
  });

  it('refuses a wrong KEK and a tampered key file', async () => {
    const dir = join(root, 'c');
    const ca = await initFileCa(dir, kek, TD);
    await expect(openFileCa(dir, KeyEncryptionKey.fromKeyBytes(randomBytes(32)))).rejects.toThrow(
      KeyDecryptError,
    );
    const keyFile = join(dir, 'keys', `${ca.generations()[0]!.id}.signing.key`);
    const env = JSON.parse(await readFile(keyFile, 'utf8'));
    const ct = Buffer.from(env.ciphertext, 'base64');
    ct[ct.length - 1]! ^= 0x80;
    await writeFile(keyFile, JSON.stringify({ ...env, ciphertext: ct.toString('base64') }));
    await expect(openFileCa(dir, kek)).rejects.toMatchObject({ code: 'SY_PKI_KEY_DECRYPT' });
  });

  it('works under a passphrase KEK too (scrypt)', async () => {
    const pass = KeyEncryptionKey.fromPassphrase('a long enough passphrase');
    const scryptParams = { N: 1024, r: 8, p: 1 };
    const ca = await initFileCa(join(root, 'd'), pass, TD, { scryptParams });
    expect((await openFileCa(join(root, 'd'), pass)).trustBundle().version).toBe(ca.trustBundle().version);
  });

  it("adopts an operator's chain and key, and refuses a key that does not match", async () => {
    const made = await CaGeneration.create({ trustDomain: TD, now: new Date() });
    const chainPem = made.generation.record.chainPem + made.generation.record.rootPem;
    const keyPem = toPem(made.secrets.intermediateKey, 'PRIVATE KEY');
    const keyPkcs8 = await readOperatorKey(keyPem);
    const ca = await initFileCa(join(root, 'e'), kek, TD, { operator: { chainPem, keyPkcs8 } });
    expect(ca.generations()[0]).toMatchObject({ state: 'active', record: { source: 'operator' } });
    expect(ca.trustBundle().pem).toBe(made.generation.record.rootPem);
    const leaf = await issueLocally(await openFileCa(join(root, 'e'), kek), WEB);
    const chain = pemBlocks(leaf.material.certificateChain);
    expect(
      verifyChain(
        chain[0]!,
        chain.slice(1),
        { roots: pemBlocks(made.generation.record.rootPem) },
        new Date(),
      ),
    ).toEqual({ ok: true });
    const other = await readOperatorKey(toPem(made.secrets.rootKey, 'PRIVATE KEY'));
    await expect(
      initFileCa(join(root, 'f'), kek, TD, { operator: { chainPem, keyPkcs8: other } }),
    ).rejects.toThrow(/private key does not match/);
    await expect(
      initFileCa(join(root, 'g'), kek, TD, {
        operator: { chainPem: made.generation.record.chainPem, keyPkcs8 },
      }),
    ).rejects.toThrow(CaError);
  });
});
