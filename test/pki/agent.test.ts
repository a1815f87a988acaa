// `certs agent` against a real CSR server with 4-second certificates: it bootstraps with a
// token, writes the grpc file_watcher layout atomically, renews at about half-life with its
// current certificate, picks up a new trust bundle, and restarts from its files (hour-long
// certificates there, so that test does not race the clock).

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { experimental } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentEvent,
  CertAgent,
  type CertificateAuthority,
  type CsrServer,
  issueLocally,
  startCsrServer,
  UnauthenticatedError,
} from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  fileWatcherProviderConfig,
  grpcChannelCredentials,
  grpcServerCredentials,
  MATERIAL_FILES,
  pemBlocks,
  spiffePeerInterceptor,
} from '../../kernel/tls/index.js';
import { DB, grpcCall, newCa, newIssuer, startGrpc, WEB } from '../helpers/pki.js';

const TTL = 4000;

function next(agent: CertAgent, type: AgentEvent['type'], timeoutMs = 8000): Promise<AgentEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${type} event in ${timeoutMs} ms`)), timeoutMs);
    const off = agent.onEvent((e) => {
      if (e.type !== type) return;
      clearTimeout(t);
      off();
      resolve(e);
    });
  });
}

describe('certs agent', () => {
  let ca: CertificateAuthority;
  let iss: ReturnType<typeof newIssuer>;
  let srv: CsrServer;
  let dir: string;
  let agent: CertAgent;
  const logs: string[] = [];

  beforeAll(async () => {
    ({ ca } = await newCa());
    iss = newIssuer(ca, TTL);
    srv = await startCsrServer({ authority: ca, issuer: iss.issuer, serverTtlMs: 3_600_000 });
    dir = await mkdtemp(join(tmpdir(), 'sy-agent-'));
  });
  afterAll(async () => {
    agent?.stop();
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  const leafOf = async () => new X509Certificate(await readFile(join(dir, MATERIAL_FILES.certificate)));

  it('refuses to start with neither a certificate nor a token', async () => {
    const a = new CertAgent({ identity: WEB, dir, server: srv.url, bootstrapTrust: ca.trustBundle().pem });
    await expect(a.start()).rejects.toThrow(UnauthenticatedError);
  });

  it('bootstraps with a token and writes the file_watcher layout, key readable by its owner only', async () => {
    const { token } = await iss.tokens.create(WEB);
    agent = new CertAgent({
      identity: WEB,
      dir,
      server: srv.url,
      token: () => token,
      bootstrapTrust: ca.trustBundle().pem,
      bundleRefreshMs: 250,
      log: (l) => logs.push(l),
    });
    await agent.start();
    const cfg = fileWatcherProviderConfig(dir).config;
    expect(cfg.certificate_file).toBe(join(dir, 'certificate.pem'));
    for (const f of Object.values(MATERIAL_FILES)) {
      expect((await lstat(join(dir, f))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(dir, f))).toBe(join('..data', f));
    }
    const version = await readlink(join(dir, '..data'));
    expect((await lstat(join(dir, version, MATERIAL_FILES.privateKey))).mode & 0o777).toBe(0o600);
    const leaf = await leafOf();
    expect(leaf.subjectAltName).toBe(`URI:${WEB}`);
    expect(leaf.checkPrivateKey(createPrivateKey(await readFile(join(dir, MATERIAL_FILES.privateKey))))).toBe(
      true,
    );
    expect(agent.current()?.serialNumber).toBe(leaf.serialNumber.toLowerCase());
    expect(iss.audit.ofType('certificate.issued').at(-1)).toMatchObject({ identity: WEB, method: 'token' });
  });

  it('renews at about half-life with its current certificate and a new key', async () => {
    const before = agent.current()!;
    const keyBefore = await readFile(join(dir, MATERIAL_FILES.privateKey), 'utf8');
    // However late a loaded machine runs the timer, the event is what the test waits for; the
    // agent keeps to its schedule (not earlier: timers and Date.now() may disagree by a ms or so).
    const e = await next(agent, 'renewed', 30_000);
    const at = Date.now();
    expect(at).toBeGreaterThanOrEqual(before.renewAt.getTime() - 10);
    if (e.type !== 'renewed') throw new Error(`unexpected ${e.type} event`);
    // The new schedule is at most 55 % into the new certificate's life (half-life plus half the
    // jitter window), counted from its issuance, which came before `at`.
    expect(e.renewAt.getTime() - at).toBeLessThanOrEqual(0.55 * TTL);
    expect(e.renewAt.getTime()).toBeLessThan(e.expiresAt.getTime());
    expect(agent.current()!.serialNumber).not.toBe(before.serialNumber);
    expect((await leafOf()).serialNumber.toLowerCase()).toBe(agent.current()!.serialNumber);
    expect(await readFile(join(dir, MATERIAL_FILES.privateKey), 'utf8')).not.toBe(keyBefore);
    expect(iss.audit.ofType('certificate.issued').at(-1)).toMatchObject({
      identity: WEB,
      method: 'certificate',
    });
    // One version directory and the ..data link: old versions are cleaned up.
    expect((await readdir(dir)).filter((f) => f.startsWith('..')).length).toBe(2);
  });

  it('picks up a trust-bundle change before any certificate needs it', async () => {
    const bundle = next(agent, 'bundle');
    await ca.prepareRotation();
    expect(await bundle).toMatchObject({ version: ca.trustBundle().version });
    expect(pemBlocks(await readFile(join(dir, MATERIAL_FILES.caCertificate), 'utf8'))).toHaveLength(2);
  });

  it('serves gRPC from its files through grpc-js FileWatcherCertificateProvider', async () => {
    const c = fileWatcherProviderConfig(dir, 1).config;
    const watcher = new experimental.FileWatcherCertificateProvider({
      certificateFile: c.certificate_file,
      privateKeyFile: c.private_key_file,
      caCertificateFile: c.ca_certificate_file,
      refreshIntervalMs: 1000,
    });
    const g = await startGrpc(grpcServerCredentials(watcher), [
      spiffePeerInterceptor(compileAllowList([DB])),
    ]);
    try {
      const db = await issueLocally(ca, DB);
      const out = await grpcCall(g.port, grpcChannelCredentials(db.material, compileAllowList([WEB])));
      expect(out).toEqual({ ok: true, body: 'mtls' });
    } finally {
      await g.close();
    }
  });

  it('restarts from valid files without a token', async () => {
    agent.stop();
    // Hour-long certificates in a directory of its own: the suite's 4-second ones can expire
    // before a loaded machine reaches this test, and what it proves is the restart from files
    // (no token, no new certificate), not the renewal schedule.
    const long = newIssuer(ca, 3_600_000);
    const longSrv = await startCsrServer({ authority: ca, issuer: long.issuer, serverTtlMs: 3_600_000 });
    const longDir = await mkdtemp(join(tmpdir(), 'sy-agent-restart-'));
    try {
      const { token } = await long.tokens.create(WEB);
      const first = new CertAgent({
        identity: WEB,
        dir: longDir,
        server: longSrv.url,
        token: () => token,
        bootstrapTrust: ca.trustBundle().pem,
        log: (l) => logs.push(l),
      });
      await first.start();
      first.stop();
      const serial = first.current()!.serialNumber;
      const issued = long.audit.ofType('certificate.issued').length;
      const again = new CertAgent({
        identity: WEB,
        dir: longDir,
        server: longSrv.url,
        bundleRefreshMs: 250,
        log: (l) => logs.push(l),
      });
      try {
        await again.start();
        expect(again.current()?.serialNumber).toBe(serial);
        expect(long.audit.ofType('certificate.issued')).toHaveLength(issued);
      } finally {
        again.stop();
      }
    } finally {
      await longSrv.close();
      await rm(longDir, { recursive: true, force: true });
    }
    expect(logs.join('\n')).not.toMatch(/PRIVATE KEY|syt_/);
  });
});
