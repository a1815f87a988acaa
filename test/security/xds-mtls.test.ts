// The xDS server under the control plane's own CA, over real loopback mTLS with raw ADS clients:
// the right identity gets its resources and only its own SDS secrets; a node id that does not
// name its certificate, an identity off the allow-list, an expired certificate, an untrusted CA
// and a missing certificate are each refused; the plaintext port serves proxyless gRPC only,
// without secrets; a CA rotation reaches every connected stream.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertAgent } from '../../control-plane/pki/index.js';
import { listenerRefs } from '../../control-plane/validate/references.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { pemBlocks, TlsMaterial } from '../../kernel/tls/index.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import type { Secret } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import type {
  DeltaDiscoveryResponse,
  DiscoveryResponse,
} from '../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { DeltaClient, namesOf, SotwClient } from '../helpers/ads-client.js';
import { waitFor } from '../helpers/control-plane.js';
import { tlsExchange } from '../helpers/pki.js';
import {
  decodeSecret,
  foreignMaterial,
  id,
  routeYaml,
  type SecureControlPlane,
  type SecurityCa,
  securityCa,
  startSecureControlPlane,
  TD,
  xdsConnect,
} from './helpers.js';

const GW = id('edge', 'gateway');
const SIDECAR = id('mesh', 'frontend');
const INTRUDER = id('intruder', 'x');
const IDENTITY = 'switchyard/identity';
const BUNDLE = 'switchyard/trust-bundle';
const ENVOY = { userAgentName: 'envoy' };
const GRPC = { userAgentName: 'gRPC Node Pure-JS' };

let sca: SecurityCa;
let f: SecureControlPlane;
const open: Array<{ close(): void }> = [];
const track = <T extends { close(): void }>(c: T): T => {
  open.push(c);
  return c;
};

beforeAll(async () => {
  sca = await securityCa();
  f = await startSecureControlPlane(
    sca,
    { 'resnet.yaml': routeYaml('resnet', 'models', 'STRICT', { v1: [100, 9001] }) },
    {
      xdsAllow: [`spiffe://${TD}/ns/edge/`, `spiffe://${TD}/ns/mesh/`],
      identityDir: '/var/run/switchyard/{namespace}/{serviceAccount}',
    },
    { translate: { gatewayMtls: true, gatewayClientIdentities: [id('apps', 'frontend')] } },
  );
});
afterAll(async () => {
  for (const c of open) c.close();
  await f?.close();
});

function byName(secrets: Secret[]): Record<string, Secret> {
  return Object.fromEntries(secrets.map((s) => [s.name, s]));
}

function filesOf(s: Secret | undefined) {
  if (s?.type.case !== 'tlsCertificate') throw new Error(`not a tls_certificate: ${s?.type.case}`);
  const t = s.type.value;
  return {
    chain: t.certificateChain?.specifier,
    key: t.privateKey?.specifier,
    watched: t.watchedDirectory?.path,
  };
}

function rootsOf(s: Secret | undefined): number {
  if (s?.type.case !== 'validationContext') throw new Error(`not a validation_context: ${s?.type.case}`);
  const ca = s.type.value.trustedCa?.specifier;
  return ca?.case === 'inlineString' ? pemBlocks(ca.value).length : 0;
}

function secretsOf(r: DiscoveryResponse | DeltaDiscoveryResponse): Secret[] {
  return r.$typeName === 'envoy.service.discovery.v3.DiscoveryResponse'
    ? r.resources.map(decodeSecret)
    : r.resources.map((x) => decodeSecret(x.resource!));
}

/** A SotW stream that must be refused: resolves with the status that ended it. */
async function refused(client: SotwClient): Promise<{ code: number; details: string }> {
  client.send({ typeUrl: TYPE.CDS });
  await waitFor(() => client.ended, 5000, 'the stream to end');
  expect(client.responses.all).toHaveLength(0);
  return client.error!;
}

describe('xDS over mTLS with the control plane CA', () => {
  it('serves the right identity, and its SDS holds only its own identity files and the bundle', async () => {
    const gw = await sca.material(GW);
    const c = track(new SotwClient(f.xdsAddress, { id: `${GW}#gw-0`, ...ENVOY }, xdsConnect(gw)));
    c.send({ typeUrl: TYPE.CDS });
    const cds = await c.next();
    expect(namesOf(cds)).toEqual(['resnet/v1', 'resnet/v1/http']);
    c.ack(cds);
    // Names of other identities, a prefix and a made-up one ride along: none exists for this node.
    const asked = [IDENTITY, BUNDLE, SIDECAR, `${IDENTITY}/${SIDECAR}`, 'switchyard/identity-mesh'];
    c.send({ typeUrl: TYPE.SDS, resourceNames: asked });
    const sds = await c.next();
    const secrets = byName(sds.resources.map(decodeSecret));
    expect(Object.keys(secrets).sort()).toEqual([IDENTITY, BUNDLE]);
    expect(filesOf(secrets[IDENTITY])).toEqual({
      chain: { case: 'filename', value: '/var/run/switchyard/edge/gateway/certificate.pem' },
      key: { case: 'filename', value: '/var/run/switchyard/edge/gateway/private_key.pem' },
      watched: '/var/run/switchyard/edge/gateway',
    });
    expect(Buffer.concat(sds.resources.map((r) => Buffer.from(r.value))).toString()).not.toMatch(
      /PRIVATE KEY/,
    );
    expect(rootsOf(secrets[BUNDLE])).toBe(1);
    // The gateway listener's DownstreamTlsContext names the same two secrets (--gateway-mtls).
    c.ack(sds, asked);
    c.send({ typeUrl: TYPE.LDS });
    const lds = await c.next();
    const gateway = fromBinary(ListenerSchema, lds.resources[0]!.value);
    expect(listenerRefs(gateway).secrets).toEqual([IDENTITY, BUNDLE]);
    expect(f.cp.proxies.list().find((p) => p.nodeId === `${GW}#gw-0`)?.group).toBe(`envoy|${GW}`);
  });

  it('binds a sidecar node’s listener to 127.0.0.1, a gateway’s to 0.0.0.0, each with its own secrets', async () => {
    const listen = async (identity: string, nodeId: string, role: string) => {
      const c = track(
        new SotwClient(
          f.xdsAddress,
          { id: nodeId, ...ENVOY, metadata: { 'switchyard.role': role } },
          xdsConnect(await sca.material(identity)),
        ),
      );
      c.send({ typeUrl: TYPE.LDS });
      const lds = await c.next();
      const a = fromBinary(ListenerSchema, lds.resources[0]!.value).address?.address;
      c.ack(lds);
      c.send({ typeUrl: TYPE.SDS, resourceNames: [IDENTITY, BUNDLE] });
      const sds = byName((await c.next()).resources.map(decodeSecret));
      const group = f.cp.proxies.list().find((p) => p.nodeId === nodeId)?.group;
      return {
        bound: a?.case === 'socketAddress' ? a.value.address : undefined,
        group,
        watched: filesOf(sds[IDENTITY]).watched,
        roots: rootsOf(sds[BUNDLE]),
      };
    };
    expect(await listen(SIDECAR, `${SIDECAR}#sc-0`, 'sidecar')).toEqual({
      bound: '127.0.0.1',
      group: `envoy+sidecar|${SIDECAR}`,
      watched: '/var/run/switchyard/mesh/frontend',
      roots: 1,
    });
    expect(await listen(GW, `${GW}#gw-1`, 'gateway')).toEqual({
      bound: '0.0.0.0',
      group: `envoy|${GW}`,
      watched: '/var/run/switchyard/edge/gateway',
      roots: 1,
    });
  });

  it('gives a delta wildcard subscriber its own two secrets and nobody else’s', async () => {
    const side = await sca.material(SIDECAR);
    const d = track(new DeltaClient(f.xdsAddress, { id: SIDECAR, ...ENVOY }, xdsConnect(side)));
    d.send({ typeUrl: TYPE.SDS, resourceNamesSubscribe: ['*', IDENTITY, `${IDENTITY}/${GW}`, GW] });
    const res = await d.next();
    const names = res.resources.map((r) => r.name).sort();
    expect(names).toEqual([IDENTITY, BUNDLE]);
    const secrets = byName(res.resources.map((r) => decodeSecret(r.resource!)));
    expect(filesOf(secrets[IDENTITY]).watched).toBe('/var/run/switchyard/mesh/frontend');
    // What the gateway identity would get never reaches this stream.
    expect(JSON.stringify(res.resources.map((r) => Buffer.from(r.resource!.value).toString()))).not.toMatch(
      /edge\/gateway/,
    );
  });

  it('refuses a node id that does not name the certificate, and counts it', async () => {
    const gw = await sca.material(GW);
    const before = f.cp.pki!.security.refusals.get(status.PERMISSION_DENIED) ?? 0;
    for (const nodeId of [SIDECAR, `${SIDECAR}#gw-0`, 'switchyard-gateway-0', `${GW}-0`]) {
      const c = track(new SotwClient(f.xdsAddress, { id: nodeId, ...ENVOY }, xdsConnect(gw)));
      const err = await refused(c);
      expect(err.code).toBe(status.PERMISSION_DENIED);
      expect(err.details).toContain(`does not name the certificate's identity ${GW}`);
    }
    expect(f.cp.pki!.security.refusals.get(status.PERMISSION_DENIED)).toBe(before + 4);
    expect(await f.cp.metrics.registry.metrics()).toMatch(
      /switchyard_xds_streams_refused_total\{code="PERMISSION_DENIED"\} [1-9]/,
    );
  });

  it('refuses a trusted certificate whose SPIFFE ID is not allowed on xDS', async () => {
    const c = track(
      new SotwClient(f.xdsAddress, { id: INTRUDER, ...ENVOY }, xdsConnect(await sca.material(INTRUDER))),
    );
    const err = await refused(c);
    expect(err).toEqual({ code: status.PERMISSION_DENIED, details: `${INTRUDER} is not on the allow-list` });
  });

  it('fails the handshake for an expired certificate, an untrusted CA and no certificate', async () => {
    const bundle = Buffer.from(sca.ca.trustBundle().pem);
    const cases: Array<[string, ReturnType<typeof xdsConnect>]> = [
      ['expired', xdsConnect(await sca.expired(GW))],
      ['untrusted CA', xdsConnect(await foreignMaterial(GW))],
      [
        'no certificate',
        xdsConnect(credentials.createSsl(bundle, null, null, { checkServerIdentity: () => undefined })),
      ],
    ];
    for (const [what, connect] of cases) {
      const c = track(new SotwClient(f.xdsAddress, { id: GW, ...ENVOY }, connect));
      const err = await refused(c);
      expect({ what, code: err.code }).toEqual({ what, code: status.UNAVAILABLE });
    }
    // UNAVAILABLE is also what a server that is down answers. A raw TLS connection with the same
    // certificates shows the refusal is the handshake's: HTTP/2 for a valid certificate, a drop
    // after the check for an expired or foreign one, an alert when none is sent.
    const port = Number(f.xdsAddress.split(':').at(-1));
    const tls = (m?: TlsMaterial) => ({
      ca: sca.ca.trustBundle().pem,
      ...(m ? { key: m.privateKey, cert: m.certificateChain } : {}),
      ALPNProtocols: ['h2'],
      checkServerIdentity: () => undefined,
    });
    expect((await tlsExchange(port, tls(await sca.material(GW)))).ok).toBe(true);
    expect([
      await tlsExchange(port, tls(await sca.expired(GW))),
      await tlsExchange(port, tls(await foreignMaterial(GW))),
      await tlsExchange(port, tls()),
    ]).toEqual([
      { ok: false, error: 'closed' },
      { ok: false, error: 'closed' },
      { ok: false, error: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
    ]);
  });

  it('serves proxyless gRPC on the plaintext port without any secret, and refuses Envoy there', async () => {
    const g = track(new SotwClient(f.insecureAddress, { id: 'grpc-client-1', ...GRPC }));
    g.send({ typeUrl: TYPE.LDS });
    expect(namesOf(await g.next())).toEqual(['resnet']);
    g.send({ typeUrl: TYPE.SDS, resourceNames: [IDENTITY, BUNDLE] });
    // The first request of a type is always answered: here with nothing in it.
    const sds = await g.next();
    expect({ type: sds.typeUrl, count: sds.resources.length }).toEqual({ type: TYPE.SDS, count: 0 });
    const e = track(new SotwClient(f.insecureAddress, { id: GW, ...ENVOY }));
    const err = await refused(e);
    expect(err.code).toBe(status.UNAUTHENTICATED);
  });

  it('issues a certificate through the admin API to a certs agent, which then holds an xDS stream', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-sec-agent-'));
    try {
      const { token } = await sca.tokens.create(GW);
      const agent = new CertAgent({
        identity: GW,
        dir,
        server: f.adminUrl,
        token: () => token,
        bootstrapTrust: sca.ca.trustBundle().pem,
      });
      await agent.start();
      agent.stop();
      const c = track(
        new SotwClient(f.xdsAddress, { id: `${GW}#agent`, ...ENVOY }, xdsConnect(TlsMaterial.fromDir(dir))),
      );
      c.send({ typeUrl: TYPE.CDS });
      expect(namesOf(await c.next())).toEqual(['resnet/v1', 'resnet/v1/http']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pushes a CA rotation to every connected stream, and keeps serving across activation', async () => {
    const identities = [GW, SIDECAR, id('mesh', 'backend')];
    const streams: Array<SotwClient | DeltaClient> = [];
    for (const [i, who] of identities.entries()) {
      const m = await sca.material(who);
      for (let k = 0; k < 4; k++) {
        const c =
          k === 3
            ? new DeltaClient(f.xdsAddress, { id: `${who}#d${i}`, ...ENVOY }, xdsConnect(m))
            : new SotwClient(f.xdsAddress, { id: `${who}#s${k}`, ...ENVOY }, xdsConnect(m));
        if (c instanceof DeltaClient) c.send({ typeUrl: TYPE.SDS, resourceNamesSubscribe: [BUNDLE] });
        else c.send({ typeUrl: TYPE.SDS, resourceNames: [BUNDLE] });
        streams.push(track(c));
      }
    }
    const rootsIn = (r: DiscoveryResponse | DeltaDiscoveryResponse) =>
      rootsOf(secretsOf(r).find((x) => x.name === BUNDLE));
    for (const s of streams) {
      if (s instanceof SotwClient) {
        const first = await s.next();
        expect(rootsIn(first)).toBe(1);
        s.ack(first, [BUNDLE]);
      } else {
        const first = await s.next();
        expect(rootsIn(first)).toBe(1);
        s.ack(first);
      }
    }
    const t0 = performance.now();
    const arrived = streams.map((s) =>
      (s.next(5000) as Promise<DiscoveryResponse | DeltaDiscoveryResponse>).then((r) => ({
        roots: rootsIn(r),
        ms: performance.now() - t0,
      })),
    );
    await sca.ca.prepareRotation();
    const got = await Promise.all(arrived);
    expect(got.map((g) => g.roots)).toEqual(streams.map(() => 2));
    const worst = Math.max(...got.map((g) => g.ms));
    process.stdout.write(`trust bundle reached all ${streams.length} streams in ${worst.toFixed(1)} ms\n`);
    expect(worst).toBeLessThan(2000);

    // Activation re-issues the control plane's certificate from the new generation; old and new
    // workload certificates both still connect.
    const serial = f.cp.pki!.serving.serialNumber;
    const old = await sca.material(GW);
    await sca.ca.activatePrepared();
    await waitFor(() => f.cp.pki!.serving.serialNumber !== serial, 5000, 'the serving certificate re-issue');
    // The old-generation certificate with the bundle its agent has fetched meanwhile.
    for (const m of [old.withTrustBundle(sca.ca.trustBundle().pem), await sca.material(GW)]) {
      const c = track(new SotwClient(f.xdsAddress, { id: GW, ...ENVOY }, xdsConnect(m)));
      c.send({ typeUrl: TYPE.CDS });
      expect(namesOf(await c.next())).toEqual(['resnet/v1', 'resnet/v1/http']);
    }
  });
});
