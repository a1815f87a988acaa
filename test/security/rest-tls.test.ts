// The REST cluster's upstream TLS against a real STRICT pod's HTTP port. The pod's TLS front door
// speaks ALPN http/1.1 on that port (data-plane/server/mtls-listener.ts), and a TLS server that
// shares no protocol with the client ends the handshake (no_application_protocol): so the
// UpstreamTlsContext Envoy gets for a REST cluster must offer http/1.1, where the gRPC cluster's
// offers h2. The connection is made with exactly what the served context says: ALPN list, SAN
// to expect, endpoint from the REST cluster's assignment.
import { mkdtemp, rm } from 'node:fs/promises';
import { type RequestOptions, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMaterial } from '../../control-plane/pki/index.js';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { translate } from '../../control-plane/translate/index.js';
import type { Pod } from '../../data-plane/pod.js';
import { compileAllowList, type TlsMaterial, tlsClientOptions } from '../../kernel/tls/index.js';
import type { Cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { UpstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';
import { id, type SecurityCa, securityCa, TD } from './helpers.js';

const POD = id('models', 'affine');
const GATEWAY = id('gateway', 'envoy');
const BODY = JSON.stringify({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }],
});

let sca: SecurityCa;
let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
let pod: Pod;
let dir: string;

beforeAll(async () => {
  sca = await securityCa();
  repo = await modelRepoCopy(['affine']);
  dir = await mkdtemp(join(tmpdir(), 'sy-rest-tls-'));
  await writeMaterial(dir, await sca.material(POD));
  pod = await startTestPod(repo.dir, { tls: { dir, allow: [GATEWAY], reloadMs: 200, mode: 'STRICT' } });
});

afterAll(async () => {
  await pod?.close();
  await repo?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the served cluster tells Envoy to do on its TLS handshake. */
function servedTls(c: Cluster): { alpn: string[]; san: string } {
  const ts = c.transportSocket!.configType;
  if (ts.case !== 'typedConfig') throw new Error('no typed transport socket');
  const ctx = fromBinary(UpstreamTlsContextSchema, ts.value.value).commonTlsContext!;
  const v = ctx.validationContextType;
  if (v.case !== 'combinedValidationContext') throw new Error(`validation context ${v.case}`);
  const m = v.value.defaultValidationContext!.matchTypedSubjectAltNames[0]!.matcher!.matchPattern;
  if (m.case !== 'exact') throw new Error(`SAN matcher ${m.case}`);
  return { alpn: ctx.alpnProtocols, san: m.value };
}

function infer(
  port: number,
  m: TlsMaterial,
  tls: { alpn: string[]; san: string },
): Promise<{ status: number } | { error: string }> {
  // Node passes ALPNProtocols through to tls.connect; its https typings leave it out.
  const options: RequestOptions & { ALPNProtocols: string[] } = {
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/v2/models/affine/infer',
    headers: { 'content-type': 'application/json' },
    agent: false,
    ...tlsClientOptions(m, compileAllowList([tls.san])),
    ALPNProtocols: tls.alpn,
  };
  return new Promise((resolve) => {
    const req = request(options, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: `${e.code}: ${e.message}` }));
    req.end(BODY);
  });
}

describe('REST cluster TLS to a STRICT pod', () => {
  it("completes the handshake on the pod's HTTP port with the served ALPN and SAN, answered 200", async () => {
    const [route] = parsePolicyFile(
      `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: affine, namespace: models }
spec:
  model: affine
  mtls: STRICT
  versions:
    - name: v1
      endpoints: [{ address: 127.0.0.1, port: ${pod.ports.grpc}, httpPort: ${pod.ports.http} }]
`,
      'affine.yaml',
    );
    const set = translate({ routes: [route!], endpoints: new Map() }, 'envoy', { trustDomain: TD });
    const rest = set.clusters.find((c) => c.name === 'affine/v1/http');
    expect(rest, 'the REST cluster').toBeDefined();
    const cla = set.endpoints.find((e) => e.clusterName === rest!.edsClusterConfig!.serviceName)!;
    const ep = cla.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
    if (ep.case !== 'endpoint' || ep.value.address!.address.case !== 'socketAddress')
      throw new Error('endpoint');
    const sock = ep.value.address!.address.value;
    expect(sock.portSpecifier.value).toBe(pod.ports.http);

    const gateway = await sca.material(GATEWAY);
    const tls = servedTls(rest!);
    expect(tls).toEqual({ alpn: ['http/1.1'], san: POD });
    expect(await infer(sock.portSpecifier.value as number, gateway, tls)).toEqual({ status: 200 });

    // What the gRPC cluster's context offers (h2) is refused on the HTTP port: why REST clusters
    // carry their own.
    const grpcTls = servedTls(set.clusters.find((c) => c.name === 'affine/v1')!);
    expect(grpcTls.alpn).toEqual(['h2']);
    expect(await infer(pod.ports.http, gateway, grpcTls)).toEqual({
      error: expect.stringMatching(/^EPROTO: .*no application protocol/),
    });
  });
});
