// Real pods serving over mTLS, reached by real grpc-js-xds clients with xDS security: the pods'
// certificates come from the control plane's CSR endpoint through `certs agent`, the clients'
// from file_watcher directories. STRICT admits only the right identity (wrong SPIFFE ID,
// expired, untrusted-CA and missing client certificates are refused); PERMISSIVE takes mTLS and
// plaintext on the same port; a certificate rotated by the agent under steady load drops nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertAgent, writeMaterial } from '../../control-plane/pki/index.js';
import type { Pod } from '../../data-plane/pod.js';
import {
  compileAllowList,
  grpcChannelCredentials,
  MATERIAL_FILES,
  type TlsMaterial,
  tlsClientOptions,
} from '../../kernel/tls/index.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';
import { waitFor } from '../helpers/control-plane.js';
import { CHANNEL_OPTIONS, tlsExchange } from '../helpers/pki.js';
import {
  foreignMaterial,
  id,
  routeYaml,
  type SecureControlPlane,
  type SecurityCa,
  securityCa,
  startSecureControlPlane,
} from './helpers.js';
import {
  type CertFiles,
  inferAffine,
  KServe,
  type Outcome,
  serverLive,
  xdsKServeClient,
} from './xds-pod-client.js';

const POD = id('models', 'affine');
const CLIENT = id('apps', 'frontend');
const OTHER = id('apps', 'intruder');

let sca: SecurityCa;
let f: SecureControlPlane;
let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
let strict: Pod;
let permissive: Pod;
let podAgent: CertAgent;
let client: TlsMaterial;
const dirs: Record<string, string> = {};
const materials: Record<string, TlsMaterial> = {};
const closers: Array<{ close(): void }> = [];

async function dirWith(name: string, m?: TlsMaterial): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `sy-sec-${name}-`));
  if (m) {
    await writeMaterial(d, m);
    materials[name] = m;
  }
  dirs[name] = d;
  return d;
}

beforeAll(async () => {
  sca = await securityCa();
  repo = await modelRepoCopy(['affine']);
  f = await startSecureControlPlane(sca, {});
  // The pod's certificate: bought with a bootstrap token at the control plane's CSR endpoint.
  const podDir = await dirWith('pod');
  const { token } = await sca.tokens.create(POD);
  podAgent = new CertAgent({
    identity: POD,
    dir: podDir,
    server: f.adminUrl,
    token: () => token,
    bootstrapTrust: sca.ca.trustBundle().pem,
  });
  await podAgent.start();
  const tls = { dir: podDir, allow: [CLIENT], reloadMs: 200 };
  strict = await startTestPod(repo.dir, { tls: { ...tls, mode: 'STRICT' } });
  permissive = await startTestPod(repo.dir, { tls: { ...tls, mode: 'PERMISSIVE' } });
  f.write('affine.yaml', routeYaml('affine', 'models', 'STRICT', { v1: [100, strict.ports.grpc] }));
  f.write(
    'affine-plain.yaml',
    routeYaml('affine-plain', 'models', 'DISABLE', { v1: [100, strict.ports.grpc] }),
  );
  f.write(
    'affine-p.yaml',
    routeYaml('affine-p', 'models', 'PERMISSIVE', { v1: [100, permissive.ports.grpc] }),
  );
  client = await sca.material(CLIENT);
  await dirWith('client', client);
  await dirWith('other', await sca.material(OTHER));
  await dirWith('expired', await sca.expired(CLIENT));
  // A certificate of another CA, with our bundle so that the client itself trusts the pod.
  await dirWith('foreign', (await foreignMaterial(CLIENT)).withTrustBundle(sca.ca.trustBundle().pem));
  const caOnly = await dirWith('caonly');
  await writeFile(join(caOnly, MATERIAL_FILES.caCertificate), sca.ca.trustBundle().pem);
  await waitFor(() => f.cp.routes().length === 3, 5000, 'the routes');
});

afterAll(async () => {
  for (const c of closers) c.close();
  podAgent?.stop();
  await Promise.all([strict?.close(), permissive?.close()]);
  await f?.close();
  await repo?.cleanup();
  await Promise.all(Object.values(dirs).map((d) => rm(d, { recursive: true, force: true })));
});

let nodes = 0;
function xdsClient(model: string, files?: CertFiles, options = {}) {
  const c = xdsKServeClient(
    f.insecureAddress,
    model,
    `grpc-security-${process.pid}-${++nodes}`,
    files,
    options,
  );
  closers.push(c);
  return c;
}

function failedWith(out: Outcome): number | undefined {
  return out.ok ? undefined : out.code;
}

// UNAVAILABLE is also what a pod that is down answers. A raw TLS connection with the same
// certificate shows the refusal is the handshake's: HTTP/2 (the server's SETTINGS) for a valid
// certificate, a drop after the pod's check for a refused or missing one (it requests a
// certificate without requiring it, so that it can count why it refused), and ECONNREFUSED,
// which no expectation below accepts, when nothing listens.
function rawTls(port: number, m?: TlsMaterial) {
  return tlsExchange(port, {
    ca: sca.ca.trustBundle().pem,
    ...(m ? { key: m.privateKey, cert: m.certificateChain } : {}),
    ALPNProtocols: ['h2'],
    checkServerIdentity: () => undefined,
  });
}
const DROPPED = { ok: false, error: 'closed' };

describe('pods over mTLS behind grpc-js-xds clients', () => {
  it('lets the right identity call a STRICT pod over mTLS, inference included', async () => {
    const c = xdsClient('affine', { dir: dirs.client! });
    expect(await serverLive(c)).toMatchObject({ ok: true });
    expect(await inferAffine(c)).toEqual([3, 5, 7, 9, 11, 13]);
    expect(strict.tls!.count('grpc', 'mtls')).toBeGreaterThan(0);
    expect(strict.identity().labels['security.switchyard.dev/tlsMode']).toBe('mtls');
  });

  it.each([
    ['a SPIFFE ID off the allow-list', 'other', 'refused:not-allowed'],
    ['an expired certificate', 'expired', 'refused:untrusted'],
    ['a certificate of an untrusted CA', 'foreign', 'refused:untrusted'],
  ])('refuses %s', async (_what, dir, result) => {
    const before = strict.tls!.count('grpc', result);
    const c = xdsClient('affine', { dir: dirs[dir]! });
    expect(failedWith(await serverLive(c, 3000))).toBe(status.UNAVAILABLE);
    expect(strict.tls!.count('grpc', result)).toBeGreaterThan(before);
    expect(await rawTls(strict.ports.grpc, materials.client)).toMatchObject({ ok: true });
    expect(await rawTls(strict.ports.grpc, materials[dir])).toEqual(DROPPED);
  });

  it('refuses a client without a certificate: plaintext, TLS without one, and none to present', async () => {
    // A route that tells grpc-js-xds to speak plaintext to the STRICT pod: no TLS handshake.
    const handshakes = strict.tls!.count('grpc', 'refused:handshake');
    expect(failedWith(await serverLive(xdsClient('affine-plain'), 3000))).toBe(status.UNAVAILABLE);
    expect(strict.tls!.count('grpc', 'refused:handshake')).toBeGreaterThan(handshakes);
    // TLS that verifies the pod but presents no certificate.
    const anonymous = new KServe(
      `127.0.0.1:${strict.ports.grpc}`,
      credentials.createSsl(Buffer.from(sca.ca.trustBundle().pem), null, null, {
        checkServerIdentity: () => undefined,
      }),
      CHANNEL_OPTIONS,
    );
    closers.push(anonymous);
    expect(failedWith(await serverLive(anonymous, 3000))).toBe(status.UNAVAILABLE);
    expect(strict.tls!.count('grpc', 'refused:no-certificate')).toBe(1);
    expect(await rawTls(strict.ports.grpc)).toEqual(DROPPED);
    // grpc-js-xds itself will not connect a STRICT cluster when its provider has no identity.
    const out = await serverLive(xdsClient('affine', { caOnly: dirs.caonly! }), 3000);
    expect(out).toMatchObject({ ok: false, code: status.UNAVAILABLE });
    expect(out.ok ? '' : out.details).toMatch(/Failed to load credentials/);
  });

  it('serves HTTP over mTLS on a STRICT pod and refuses it in plaintext or without identity', async () => {
    const expect200 = await httpsGet(strict.ports.http, client);
    expect(expect200).toEqual({ status: 200, body: '{"live":true}' });
    expect(await httpsGet(strict.ports.http, await sca.material(OTHER))).toEqual({ error: 'ECONNRESET' });
    const plain = await fetch(`http://127.0.0.1:${strict.ports.http}/v2/health/live`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).toBe('refused');
    expect(strict.tls!.count('http', 'refused:not-allowed')).toBe(1);
  });

  it('takes plaintext and mTLS on the same PERMISSIVE port, and still refuses a bad identity', async () => {
    // Proxyless gRPC stays plaintext under PERMISSIVE (no per-endpoint transport sockets).
    const plainXds = xdsClient('affine-p', { dir: dirs.client! });
    expect(await inferAffine(plainXds)).toEqual([3, 5, 7, 9, 11, 13]);
    expect(permissive.tls!.count('grpc', 'plaintext')).toBeGreaterThan(0);
    const direct = (m: TlsMaterial) => {
      const c = new KServe(
        `127.0.0.1:${permissive.ports.grpc}`,
        grpcChannelCredentials(m, compileAllowList([POD])),
        { ...CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 },
      );
      closers.push(c);
      return c;
    };
    expect(await serverLive(direct(client))).toMatchObject({ ok: true });
    expect(permissive.tls!.count('grpc', 'mtls')).toBeGreaterThan(0);
    expect(failedWith(await serverLive(direct(materials.other!), 3000))).toBe(status.UNAVAILABLE);
    expect(permissive.tls!.count('grpc', 'refused:not-allowed')).toBe(1);
    expect(await rawTls(permissive.ports.grpc, client)).toMatchObject({ ok: true });
    expect(await rawTls(permissive.ports.grpc, materials.other)).toEqual(DROPPED);
    const plainHttp = await fetch(`http://127.0.0.1:${permissive.ports.http}/v2/health/live`);
    expect(plainHttp.status).toBe(200);
    expect(await httpsGet(permissive.ports.http, client)).toEqual({ status: 200, body: '{"live":true}' });
  });

  it('rotates the pod certificate under steady load without a failed RPC', async () => {
    const steady = [0, 1, 2].map(() => xdsClient('affine', { dir: dirs.client! }));
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const loop = async (c: ReturnType<typeof xdsClient>, i: number) => {
      while (running) {
        const out = i % 2 ? await serverLive(c) : ((await inferAffine(c)) as unknown);
        if (Array.isArray(out) || (out as Outcome).ok) ok++;
        else failures.push((out as { details: string }).details);
      }
    };
    // Fresh channels with their own connection: each call needs a new handshake.
    const reconnecting = async () => {
      while (running) {
        const c = xdsClient('affine', { dir: dirs.client! }, { 'grpc.use_local_subchannel_pool': 1 });
        const out = await serverLive(c);
        if (out.ok) ok++;
        else failures.push(`reconnecting: ${out.details}`);
        c.close();
      }
    };
    const load = [...steady.flatMap((c, i) => [loop(c, i), loop(c, i + 1)]), reconnecting()];
    await waitFor(() => ok > 20, 10_000, 'steady traffic');
    const served: string[] = [];
    for (let r = 0; r < 3; r++) {
      const generation = strict.tls!.files.current.generation;
      const mtlsBefore = strict.tls!.count('grpc', 'mtls');
      await podAgent.renewNow();
      await waitFor(
        () => strict.tls!.files.current.generation > generation,
        5000,
        'the pod to take the new files',
      );
      // New handshakes get the new certificate...
      served.push(await servedSerial(strict.ports.grpc));
      expect(served.at(-1)).toBe(podAgent.current()!.serialNumber);
      // ...and traffic keeps flowing, over new connections too.
      const okBefore = ok;
      await waitFor(
        () => ok > okBefore + 10 && strict.tls!.count('grpc', 'mtls') > mtlsBefore + 1,
        10_000,
        'traffic after the rotation',
      );
    }
    running = false;
    await Promise.all(load);
    expect(failures).toEqual([]);
    expect(new Set(served).size).toBe(3);
    process.stdout.write(`rotation under load: ${ok} RPCs, 0 failed, 3 rotations\n`);
  });
});

/** Serial number of the certificate a new TLS handshake on `port` gets. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(
      {
        ...tlsClientOptions(client, compileAllowList([POD])),
        host: '127.0.0.1',
        port,
        ALPNProtocols: ['h2'],
      },
      () => {
        resolve(s.getPeerCertificate().serialNumber.toLowerCase());
        s.destroy();
      },
    );
    s.on('error', reject);
  });
}

function httpsGet(
  port: number,
  m: TlsMaterial,
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v2/health/live',
        agent: false,
        ...tlsClientOptions(m, compileAllowList([POD])),
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}
