// xDS mTLS with a real gRPC C-core client (gRFC A29): its bootstrap's file_watcher certificate
// provider reads a directory holding a workload certificate of our CA, its channel uses xDS
// credentials, and the STRICT pod (a real ONNX Runtime pod) admits it over mTLS; a client
// whose certificate names another identity is refused. grpc-js-xds runs the same in
// test/security/pod-mtls.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMaterial } from '../../control-plane/pki/index.js';
import type { Pod } from '../../data-plane/pod.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';
import { CcoreClient } from '../helpers/ccore-client.js';
import { waitFor } from '../helpers/control-plane.js';
import {
  id,
  routeYaml,
  type SecureControlPlane,
  type SecurityCa,
  securityCa,
  startSecureControlPlane,
} from '../security/helpers.js';
import { securityBootstrap } from '../security/xds-pod-client.js';
import { unavailable } from './harness.js';

const POD = id('models', 'affine');
const CLIENT = id('apps', 'frontend');
const OTHER = id('apps', 'intruder');

let sca: SecurityCa;
let f: SecureControlPlane;
let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
let strict: Pod;
const dirs: string[] = [];
const clients: CcoreClient[] = [];

async function certDir(identity: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sy-ccore-mtls-'));
  dirs.push(d);
  await writeMaterial(d, await sca.material(identity));
  return d;
}

beforeAll(async () => {
  if (unavailable) return;
  sca = await securityCa();
  repo = await modelRepoCopy(['affine']);
  f = await startSecureControlPlane(sca, {});
  const podDir = await certDir(POD);
  strict = await startTestPod(repo.dir, {
    tls: { dir: podDir, allow: [CLIENT], reloadMs: 200, mode: 'STRICT' },
  });
  f.write('affine.yaml', routeYaml('affine', 'models', 'STRICT', { v1: [100, strict.ports.grpc] }));
  await waitFor(() => f.cp.routes().length === 1, 5000, 'the route');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await strict?.close();
  await f?.close();
  await repo?.cleanup();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function ccore(node: string, dir: string): CcoreClient {
  const c = new CcoreClient(
    f.insecureAddress,
    node,
    securityBootstrap(f.insecureAddress, node, { dir }),
    true,
  );
  clients.push(c);
  return c;
}

describe.skipIf(unavailable)('a STRICT pod behind a gRPC C-core client', () => {
  it('admits the allowed identity over mTLS and refuses another one', async () => {
    const before = strict.tls!.count('grpc', 'mtls');
    const ok = await ccore('ccore-mtls-ok', await certDir(CLIENT)).live('affine', {
      waitForReady: true,
      timeout: 15,
    });
    expect(ok).toEqual({ ok: true });
    expect(strict.tls!.count('grpc', 'mtls')).toBeGreaterThan(before);
    const refusedBefore = strict.tls!.count('grpc', 'refused:not-allowed');
    const other = await ccore('ccore-mtls-other', await certDir(OTHER)).live('affine', { timeout: 5 });
    expect(other.ok).toBe(false);
    expect(strict.tls!.count('grpc', 'refused:not-allowed')).toBeGreaterThan(refusedBefore);
  });
});
