// `switchyard certs` in-process: ca init (creating the KEK file), token, agent --once against a
// CSR server that shares the CA directory (tokens cross processes as files), issue, ca rotate.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BootstrapTokens,
  FileTokenStore,
  KeyEncryptionKey,
  MemoryAuditSink,
  openFileCa,
  startCsrServer,
  WorkloadIssuer,
} from '../../control-plane/pki/index.js';
import { MATERIAL_FILES } from '../../kernel/tls/index.js';
import { runMain } from '../helpers/cli-in-process.js';
import { TD, WEB } from '../helpers/pki.js';

const cli = runMain;

describe('switchyard certs', () => {
  let tmp: string;
  let caDir: string;
  let kekFile: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'sy-cli-'));
    caDir = join(tmp, 'ca');
    kekFile = join(tmp, 'kek');
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('initialises a CA, creating the KEK file with 32 private random bytes', async () => {
    const r = await cli(
      'certs',
      'ca',
      'init',
      '--ca-dir',
      caDir,
      '--kek-file',
      kekFile,
      '--trust-domain',
      TD,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/created key-encryption key/);
    expect(r.stdout).toMatch(new RegExp(`CA for trust domain ${TD.replace('.', '\\.')}`));
    expect((await stat(kekFile)).mode & 0o777).toBe(0o600);
    expect((await readFile(kekFile)).length).toBe(32);
  });

  it('hands out a token that a server sharing the CA directory redeems for the agent', async () => {
    const t = await cli('certs', 'token', '--ca-dir', caDir, '--identity', WEB);
    expect(t.code).toBe(0);
    const token = t.stdout.trim();
    expect(token).toMatch(/^syt_[A-Za-z0-9_-]{43}$/);
    const ca = await openFileCa(caDir, KeyEncryptionKey.fromFile(kekFile));
    const tokens = new BootstrapTokens(new FileTokenStore(join(caDir, 'tokens')), ca.trustDomain);
    const srv = await startCsrServer({
      authority: ca,
      issuer: new WorkloadIssuer({ authority: ca, tokens, audit: new MemoryAuditSink() }),
    });
    try {
      await writeFile(join(tmp, 'token'), `${token}\n`);
      await writeFile(join(tmp, 'roots.pem'), ca.trustBundle().pem);
      const dir = join(tmp, 'web');
      const args = [
        'certs',
        'agent',
        '--identity',
        WEB,
        '--dir',
        dir,
        '--server',
        srv.url,
        '--ca-file',
        join(tmp, 'roots.pem'),
      ];
      const a = await cli(...args, '--token-file', join(tmp, 'token'), '--once');
      expect(a.code).toBe(0);
      expect(JSON.parse(a.stdout.trim().split('\n').at(-1)!)).toMatchObject({ plugin_name: 'file_watcher' });
      const leaf = new X509Certificate(await readFile(join(dir, MATERIAL_FILES.certificate)));
      expect(leaf.subjectAltName).toBe(`URI:${WEB}`);
      // The token was spent: a second agent in an empty directory cannot use it again.
      const b = await cli(
        ...args.map((x) => (x === dir ? join(tmp, 'web2') : x)),
        '--token-file',
        join(tmp, 'token'),
        '--once',
      );
      expect(b.code).toBe(1);
      expect(b.stderr).toMatch(/SY_PKI_UNAUTHENTICATED/);
    } finally {
      await srv.close();
    }
  });

  it('issues locally and rotates, printing the generations', async () => {
    const dir = join(tmp, 'db');
    const i = await cli(
      'certs',
      'issue',
      '--ca-dir',
      caDir,
      '--kek-file',
      kekFile,
      '--identity',
      `spiffe://${TD}/ns/default/sa/db`,
      '--dir',
      dir,
      '--ttl',
      '1h',
    );
    expect(i.code).toBe(0);
    const leaf = new X509Certificate(await readFile(join(dir, MATERIAL_FILES.certificate)));
    expect(Date.parse(leaf.validTo) - Date.now()).toBeLessThanOrEqual(3_600_000);
    const r = await cli('certs', 'ca', 'rotate', '--ca-dir', caDir, '--kek-file', kekFile);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/retired/);
    expect(r.stdout.match(/ root [0-9a-f]{64}/g)).toHaveLength(2);
  });

  it('prints the trust bundle as PEM with ca show --bundle, every root of it', async () => {
    const r = await cli('certs', 'ca', 'show', '--bundle', '--ca-dir', caDir, '--kek-file', kekFile);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const ca = await openFileCa(caDir, KeyEncryptionKey.fromFile(kekFile));
    expect(r.stdout).toBe(ca.trustBundle().pem);
    const pems = r.stdout.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    expect(pems.length).toBe(ca.trustBundle().roots.length);
    expect(pems.map((p) => new X509Certificate(p).fingerprint256.replaceAll(':', '').toLowerCase())).toEqual(
      ca.trustBundle().roots.map((root) => root.fingerprint),
    );
    const wrong = await cli('certs', 'ca', 'rotate', '--bundle', '--ca-dir', caDir, '--kek-file', kekFile);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--bundle goes with ca show/);
  });

  it('answers option errors with exit code 2', async () => {
    expect((await cli('certs', 'agent', '--dir', tmp)).code).toBe(2);
    expect((await cli('certs', 'ca', 'frobnicate', '--ca-dir', caDir)).code).toBe(2);
  });
});
