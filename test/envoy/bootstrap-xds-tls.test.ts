// The envoy/ bootstraps' xDS connection, followed the way Envoy follows it: the TLS version
// range Envoy derives from tls_params (its client defaults fill what is unset), the client
// identity and trust bundle read through the SDS files the certs agent writes, then a real TLS
// handshake with that range and material against a server configured like the control plane's
// xDS port; and, after the agent renews, the same SDS paths yield the new certificate.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type SecureVersion } from 'node:tls';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CertificateAuthority, issueLocally, writeMaterial } from '../../control-plane/pki/index.js';
import { XDS_REGISTRY } from '../../control-plane/resources/index.js';
import { checkMessage } from '../../control-plane/validate/index.js';
import { tlsServerOptions } from '../../kernel/tls/index.js';
import { type Bootstrap, BootstrapSchema } from '../../protos/gen/envoy/config/bootstrap/v3/bootstrap_pb.js';
import type { ConfigSource } from '../../protos/gen/envoy/config/core/v3/config_source_pb.js';
import { TlsParameters_TlsProtocol } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import {
  type Secret,
  SecretSchema,
} from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import {
  type UpstreamTlsContext,
  UpstreamTlsContextSchema,
} from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { DiscoveryResponseSchema } from '../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { newCa } from '../helpers/pki.js';

const AGENT_DIR = '/etc/switchyard/tls';
const TD = 'switchyard.local';
const CONTROL_PLANE = `spiffe://${TD}/ns/switchyard-system/sa/control-plane`;

function load(role: string): Bootstrap {
  const text = readFileSync(new URL(`../../envoy/${role}.yaml`, import.meta.url), 'utf8');
  return fromJson(BootstrapSchema, parse(text) as JsonValue, {
    registry: XDS_REGISTRY,
    ignoreUnknownFields: false,
  });
}

function xdsTls(b: Bootstrap): UpstreamTlsContext {
  const ts = b.staticResources!.clusters.find((c) => c.name === 'switchyard-xds')!.transportSocket!
    .configType;
  if (ts.case !== 'typedConfig') throw new Error('xDS cluster has no typed TLS config');
  return anyUnpack(ts.value, UpstreamTlsContextSchema)!;
}

// Envoy's client defaults when a bound is TLS_AUTO: TLSv1_2 both ways (tls.v3.TlsParameters,
// envoy/extensions/transport_sockets/tls/v3/common.proto).
const CLIENT_DEFAULT = TlsParameters_TlsProtocol.TLSv1_2;
const NODE_VERSION: Partial<Record<TlsParameters_TlsProtocol, SecureVersion>> = {
  [TlsParameters_TlsProtocol.TLSv1_2]: 'TLSv1.2',
  [TlsParameters_TlsProtocol.TLSv1_3]: 'TLSv1.3',
};
function envoyClientRange(ctx: UpstreamTlsContext): {
  min: TlsParameters_TlsProtocol;
  max: TlsParameters_TlsProtocol;
} {
  const p = ctx.commonTlsContext?.tlsParams;
  const pick = (v: TlsParameters_TlsProtocol | undefined) =>
    v === undefined || v === TlsParameters_TlsProtocol.TLS_AUTO ? CLIENT_DEFAULT : v;
  return { min: pick(p?.tlsMinimumProtocolVersion), max: pick(p?.tlsMaximumProtocolVersion) };
}

/** What Envoy loads from a path_config_source SDS file: one Secret, named as the bootstrap asks. */
async function followSds(source: ConfigSource | undefined, name: string, dir: string): Promise<Secret> {
  const spec = source?.configSourceSpecifier;
  if (spec?.case !== 'pathConfigSource') throw new Error(`secret ${name} is not SDS from a file`);
  expect(spec.value.watchedDirectory?.path).toBe(AGENT_DIR);
  const path = spec.value.path.replace(AGENT_DIR, dir);
  const response = fromJson(DiscoveryResponseSchema, JSON.parse(await readFile(path, 'utf8')) as JsonValue, {
    registry: XDS_REGISTRY,
    ignoreUnknownFields: false,
  });
  expect(response.resources).toHaveLength(1);
  const secret = anyUnpack(response.resources[0]!, SecretSchema)!;
  expect(checkMessage(SecretSchema, secret)).toEqual([]);
  // Envoy refuses a file whose secret is named otherwise ("Unexpected SDS secret").
  expect(secret.name).toBe(name);
  return secret;
}

function filename(ds: { specifier: { case?: string; value?: unknown } } | undefined): string {
  if (ds?.specifier.case !== 'filename') throw new Error('data source is not a file');
  return ds.specifier.value as string;
}

describe.each(['gateway', 'sidecar'])('envoy/%s.yaml xDS connection', (role) => {
  let ca: CertificateAuthority;
  let dir: string;
  const ctx = xdsTls(load(role));

  beforeAll(async () => {
    ({ ca } = await newCa(TD));
    dir = await mkdtemp(join(tmpdir(), 'sy-bootstrap-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('offers a non-empty TLS version range, TLSv1_3 only', () => {
    const { min, max } = envoyClientRange(ctx);
    expect(min).toBeLessThanOrEqual(max);
    expect([min, max]).toEqual([TlsParameters_TlsProtocol.TLSv1_3, TlsParameters_TlsProtocol.TLSv1_3]);
  });

  async function loadIdentity() {
    const common = ctx.commonTlsContext!;
    expect(common.tlsCertificates).toEqual([]);
    const sdsIdentity = common.tlsCertificateSdsSecretConfigs[0]!;
    const identity = await followSds(sdsIdentity.sdsConfig, sdsIdentity.name, dir);
    const vc = common.validationContextType;
    if (vc.case !== 'combinedValidationContext') throw new Error('no combined validation context');
    const sdsTrust = vc.value.validationContextSdsSecretConfig!;
    const trust = await followSds(sdsTrust.sdsConfig, sdsTrust.name, dir);
    if (identity.type.case !== 'tlsCertificate' || trust.type.case !== 'validationContext')
      throw new Error('SDS files hold the wrong secret types');
    // Rotation: the secrets watch the agent's directory (the ..data swap), on SDS they may.
    expect(identity.type.value.watchedDirectory?.path).toBe(dir);
    expect(trust.type.value.watchedDirectory?.path).toBe(dir);
    const san = vc.value.defaultValidationContext!.matchTypedSubjectAltNames[0]!.matcher!.matchPattern;
    return {
      cert: await readFile(filename(identity.type.value.certificateChain), 'utf8'),
      key: await readFile(filename(identity.type.value.privateKey), 'utf8'),
      ca: await readFile(filename(trust.type.value.trustedCa), 'utf8'),
      san: san.case === 'exact' ? san.value : '',
    };
  }

  it('handshakes with the control plane using the SDS-file identity, and picks up a renewal', async () => {
    const node = `spiffe://${TD}/ns/${role === 'gateway' ? 'switchyard-system' : 'default'}/sa/${role}`;
    const first = await issueLocally(ca, node);
    await writeMaterial(dir, first.material);
    const server = createServer(tlsServerOptions((await issueLocally(ca, CONTROL_PLANE)).material), (s) =>
      s.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const { min, max } = envoyClientRange(ctx);
    const handshake = async () => {
      const id = await loadIdentity();
      return new Promise<{ version: string; peerSan: string; ownSerial: string }>((resolve, reject) => {
        const s = connect(
          {
            host: '127.0.0.1',
            port,
            cert: id.cert,
            key: id.key,
            ca: id.ca,
            minVersion: NODE_VERSION[min]!,
            maxVersion: NODE_VERSION[max]!,
            checkServerIdentity: () => undefined,
            ALPNProtocols: ['h2'],
          },
          () => {
            const peer = s.getPeerX509Certificate()!;
            resolve({
              version: s.getProtocol() ?? '',
              peerSan: peer.subjectAltName ?? '',
              ownSerial: new X509Certificate(id.cert).serialNumber.toLowerCase(),
            });
            s.end();
          },
        );
        s.once('error', reject);
      }).then((r) => ({ ...r, expectedSan: id.san }));
    };
    try {
      const one = await handshake();
      expect(one.version).toBe('TLSv1.3');
      expect(one.peerSan).toBe(`URI:${one.expectedSan}`);
      expect(one.ownSerial).toBe(first.serialNumber.toLowerCase());
      const renewed = await issueLocally(ca, node);
      await writeMaterial(dir, renewed.material);
      const two = await handshake();
      expect(two.ownSerial).toBe(renewed.serialNumber.toLowerCase());
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
