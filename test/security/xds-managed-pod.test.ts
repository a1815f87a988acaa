// A pod as an xDS-managed gRPC server (gRFC A36 with the RBAC filter of A41): its inbound mTLS
// mode and the identities allowed to call it come from the control plane's server Listener.
// Real control plane with its CA, a real pod whose gRPC port is grpc-js-xds's XdsServer, and
// real grpc-js-xds clients holding certificates of three SPIFFE identities. A policy change
// reaches the running pod (same process, same port) and a removed identity is refused with
// PERMISSION_DENIED within seconds, while the identity that stays is served throughout.
import './rbac-env.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMaterial } from '../../control-plane/pki/index.js';
import type { Pod } from '../../data-plane/pod.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';
import { modelRouteYaml, waitFor } from '../helpers/control-plane.js';
import { CHANNEL_OPTIONS } from '../helpers/pki.js';
import {
  id,
  type SecureControlPlane,
  type SecurityCa,
  securityCa,
  startSecureControlPlane,
} from './helpers.js';
import { inferAffine, KServe, type Outcome, serverLive, xdsKServeClient } from './xds-pod-client.js';

const POD = id('models', 'affine');
const ALICE = id('apps', 'alice');
const BOB = id('apps', 'bob');
const EVE = id('apps', 'eve');

let sca: SecurityCa;
let f: SecureControlPlane;
let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
let pod: Pod;
let port: number;
const dirs: Record<string, string> = {};
const closers: Array<{ close(): void }> = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function policy(mtls: 'STRICT' | 'DISABLE', identities?: readonly string[]): string {
  const access = identities ? `  access:\n    identities: [${identities.join(', ')}]\n` : '';
  return modelRouteYaml('affine', { v1: [100, port] }, access, { namespace: 'models', mtls });
}

let nodes = 0;
function client(who: string) {
  const c = xdsKServeClient(f.insecureAddress, 'affine', `grpc-xds-pod-${process.pid}-${++nodes}`, {
    dir: dirs[who]!,
  });
  closers.push(c);
  return c;
}

/** A plaintext client straight to the pod's port (no xDS, no certificate). */
function plaintext() {
  const c = new KServe(`127.0.0.1:${port}`, credentials.createInsecure(), {
    ...CHANNEL_OPTIONS,
    'grpc.use_local_subchannel_pool': 1,
  });
  closers.push(c);
  return c;
}

const code = (o: Outcome) => (o.ok ? 'OK' : o.code);

beforeAll(async () => {
  sca = await securityCa();
  repo = await modelRepoCopy(['affine']);
  port = await freePort();
  for (const [name, identity] of Object.entries({ pod: POD, alice: ALICE, bob: BOB, eve: EVE })) {
    const d = await mkdtemp(join(tmpdir(), `sy-xds-pod-${name}-`));
    await writeMaterial(d, await sca.material(identity));
    dirs[name] = d;
  }
  f = await startSecureControlPlane(sca, { 'affine.yaml': policy('STRICT', [ALICE, BOB]) });
  pod = await startTestPod(repo.dir, {
    grpcPort: port,
    advertiseAddress: '127.0.0.1',
    xds: { server: f.insecureAddress, certsDir: dirs.pod!, drainGraceMs: 2000 },
    // The HTTP port keeps its own TLS (PERMISSIVE here); only gRPC is xDS-managed.
    tls: { dir: dirs.pod!, mode: 'PERMISSIVE' },
  });
  await waitFor(() => pod.xds?.serving === true, 20_000, 'the pod to get its Listener and serve');
});

afterAll(async () => {
  for (const c of closers) c.close();
  await pod?.close();
  await f?.close();
  await repo?.cleanup();
  await Promise.all(Object.values(dirs).map((d) => rm(d, { recursive: true, force: true })));
});

describe('a pod as an xDS-managed gRPC server', () => {
  it('serves the listed identities over mTLS and refuses another with PERMISSION_DENIED', async () => {
    expect(pod.ports.grpc).toBe(port);
    // Its gRPC TLS is the control plane's to decide: no tlsMode label for Envoy's PERMISSIVE clusters.
    expect(pod.identity().labels['security.switchyard.dev/tlsMode']).toBeUndefined();
    const alice = client('alice');
    expect(await serverLive(alice)).toMatchObject({ ok: true });
    expect(await inferAffine(alice)).toEqual([3, 5, 7, 9, 11, 13]);
    expect(await inferAffine(client('bob'))).toEqual([3, 5, 7, 9, 11, 13]);
    const eve = await serverLive(client('eve'));
    expect(code(eve)).toBe(status.PERMISSION_DENIED);
    // STRICT: a plaintext caller does not even get a connection.
    expect(code(await serverLive(plaintext(), 3000))).toBe(status.UNAVAILABLE);
  });

  it('refuses a removed identity within seconds, without a restart, and keeps serving the other', async () => {
    const alice = client('alice');
    const bob = client('bob');
    expect(code(await serverLive(bob))).toBe('OK');
    const started = pod.startedAtMs;
    const t0 = Date.now();
    f.write('affine.yaml', policy('STRICT', [ALICE]));
    let bobLast: Outcome | undefined;
    await waitFor(
      async () => {
        bobLast = await serverLive(bob, 2000);
        return code(bobLast) === status.PERMISSION_DENIED;
      },
      15_000,
      `bob to be refused (last: ${JSON.stringify(bobLast)})`,
    );
    const seconds = (Date.now() - t0) / 1000;
    process.stdout.write(`removed identity refused after ${seconds.toFixed(2)} s\n`);
    expect(seconds).toBeLessThan(15);
    expect(bobLast).toMatchObject({ ok: false, details: expect.stringMatching(/Unauthorized/) });
    // The same pod, the same port, and the identity that stayed keeps being served.
    expect(pod.startedAtMs).toBe(started);
    expect(pod.ports.grpc).toBe(port);
    expect(pod.xds?.serving).toBe(true);
    for (let i = 0; i < 5; i++) expect(await inferAffine(alice)).toEqual([3, 5, 7, 9, 11, 13]);
    // Inference too is refused for the removed identity, not only ServerLive.
    expect(await inferAffine(bob)).toMatchObject({ ok: false, code: status.PERMISSION_DENIED });
  });

  it('follows an mTLS mode change: DISABLE takes plaintext and opens the pod, STRICT closes it again', async () => {
    const direct = plaintext();
    f.write('affine.yaml', policy('DISABLE'));
    await waitFor(async () => code(await serverLive(direct, 2000)) === 'OK', 15_000, 'plaintext served');
    expect(await inferAffine(direct)).toEqual([3, 5, 7, 9, 11, 13]);
    // No identity rule any more: eve's proxyless client (now plaintext too) is served.
    const eve = client('eve');
    await waitFor(async () => code(await serverLive(eve, 2000)) === 'OK', 15_000, 'eve served');
    f.write('affine.yaml', policy('STRICT', [ALICE]));
    const fresh = plaintext();
    await waitFor(
      async () => code(await serverLive(fresh, 2000)) === status.UNAVAILABLE,
      15_000,
      'plaintext refused again',
    );
    const alice = client('alice');
    await waitFor(async () => code(await serverLive(alice, 2000)) === 'OK', 15_000, 'alice over mTLS');
    expect(pod.xds?.serving).toBe(true);
  });
});
