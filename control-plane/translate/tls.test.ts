// Upstream and gateway TLS (tls.ts) decoded and written out: which mode gets a transport socket,
// a match entry or nothing, per flavor, and what the gateway's DownstreamTlsContext requires.
import { isMessage } from '@bufbuild/protobuf';
import { AnySchema, anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { Cluster_TransportSocketMatchSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { TransportSocket } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import { SubjectAltNameMatcher_SanType } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import {
  DownstreamTlsContextSchema,
  UpstreamTlsContextSchema,
} from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { resolveOptions } from './options.js';
import { interningIn } from './proto.js';
import { clusterTls, gatewayDownstreamTls } from './tls.js';
import { TranslationCache } from './translation-cache.js';

const route = (mtls: string) =>
  parsePolicyFile(policy('m', `mtls: ${mtls}\nversions: [{ name: v1 }]`), 'm.yaml')[0]!;
const options = resolveOptions();

function upstream(ts: TransportSocket | undefined) {
  expect(ts?.name).toBe('envoy.transport_sockets.tls');
  expect(ts?.$typeName).toBe('envoy.config.core.v3.TransportSocket');
  if (ts?.configType.case !== 'typedConfig') throw new Error('no typed config');
  // Typed literals: a wrong $typeName makes them no message of their type to protobuf-es.
  expect(isMessage(ts.configType.value, AnySchema)).toBe(true);
  expect(ts.configType.value.typeUrl).toBe(
    'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  );
  return anyUnpack(ts.configType.value, UpstreamTlsContextSchema)!.commonTlsContext!;
}

describe('clusterTls', () => {
  it('STRICT: one transport socket, checking the pod identity, in either flavor', () => {
    const envoy = clusterTls(route('STRICT'), 'envoy', options, ['h2']);
    expect(envoy.transportSocketMatches).toEqual([]);
    const ctx = upstream(envoy.transportSocket);
    expect(ctx.alpnProtocols).toEqual(['h2']);
    expect(ctx.tlsCertificateSdsSecretConfigs.map((s) => s.name)).toEqual(['switchyard/identity']);
    const grpc = clusterTls(route('STRICT'), 'grpc', options, ['h2']);
    expect(grpc.transportSocketMatches).toEqual([]);
    const g = upstream(grpc.transportSocket);
    expect(g.tlsCertificateProviderInstance?.instanceName).toBe('default');
    expect(g.validationContextType.case).toBe('validationContext');
    if (g.validationContextType.case !== 'validationContext') return;
    expect(g.validationContextType.value.caCertificateProviderInstance?.instanceName).toBe('default');
    expect(g.validationContextType.value.matchSubjectAltNames.map((m) => m.matchPattern.value)).toEqual([
      'spiffe://switchyard.local/ns/default/sa/m',
    ]);
  });

  it('STRICT in Envoy: the SAN and the trust bundle over SDS in a combined validation context', () => {
    const ctx = upstream(clusterTls(route('STRICT'), 'envoy', options, ['h2']).transportSocket);
    const v = ctx.validationContextType;
    if (v.case !== 'combinedValidationContext') throw new Error(`validation context ${v.case}`);
    expect(
      v.value.defaultValidationContext!.matchTypedSubjectAltNames.map((m) => [
        m.sanType,
        m.matcher?.matchPattern.value,
      ]),
    ).toEqual([[SubjectAltNameMatcher_SanType.URI, 'spiffe://switchyard.local/ns/default/sa/m']]);
    expect(v.value.validationContextSdsSecretConfig?.name).toBe('switchyard/trust-bundle');
    expect(v.value.validationContextSdsSecretConfig?.sdsConfig?.configSourceSpecifier.case).toBe('ads');
  });

  it('PERMISSIVE: a match entry for endpoints that accept TLS (Envoy); plaintext for gRPC', () => {
    const envoy = clusterTls(route('PERMISSIVE'), 'envoy', options, ['http/1.1']);
    expect(envoy.transportSocket).toBeUndefined();
    expect(envoy.transportSocketMatches).toHaveLength(1);
    const [m] = envoy.transportSocketMatches;
    expect(isMessage(m, Cluster_TransportSocketMatchSchema)).toBe(true);
    expect(m!.name).toBe('mtls');
    expect(m!.match).toEqual({ tlsMode: 'mtls' });
    expect(upstream(m!.transportSocket).alpnProtocols).toEqual(['http/1.1']);
    expect(clusterTls(route('PERMISSIVE'), 'grpc', options, ['h2'])).toEqual({ transportSocketMatches: [] });
  });

  it('DISABLE: nothing', () => {
    expect(clusterTls(route('DISABLE'), 'envoy', options, ['h2'])).toEqual({ transportSocketMatches: [] });
    expect(clusterTls(route('DISABLE'), 'grpc', options, ['h2'])).toEqual({ transportSocketMatches: [] });
  });

  it('keeps the ALPN lists apart: one template per list', () => {
    const h2 = upstream(clusterTls(route('STRICT'), 'envoy', options, ['h2']).transportSocket);
    const both = upstream(clusterTls(route('STRICT'), 'envoy', options, ['h2', 'http/1.1']).transportSocket);
    const joined = upstream(clusterTls(route('STRICT'), 'envoy', options, ['h2,http/1.1']).transportSocket);
    expect([h2.alpnProtocols, both.alpnProtocols, joined.alpnProtocols]).toEqual([
      ['h2'],
      ['h2', 'http/1.1'],
      ['h2,http/1.1'],
    ]);
  });

  it('keeps the templates of each ALPN list and flavor apart in one translation cache', () => {
    // Inside a translation the encoded templates are shared: one per flavor, options and list.
    const cache = new TranslationCache();
    const alpnOf = (flavor: 'envoy' | 'grpc', alpn: string[]) =>
      interningIn(cache, () => upstream(clusterTls(route('STRICT'), flavor, options, alpn).transportSocket))
        .alpnProtocols;
    expect([alpnOf('envoy', ['h2']), alpnOf('envoy', ['http/1.1']), alpnOf('envoy', [])]).toEqual([
      ['h2'],
      ['http/1.1'],
      [],
    ]);
    const grpc = interningIn(cache, () =>
      upstream(clusterTls(route('STRICT'), 'grpc', options, ['h2']).transportSocket),
    );
    expect(grpc.validationContextType.case).toBe('validationContext');
  });
});

describe('gatewayDownstreamTls', () => {
  it('requires a client certificate, over SDS, with exact URI SANs for the listed callers', () => {
    const ts = gatewayDownstreamTls(
      resolveOptions({ gatewayClientIdentities: ['spiffe://switchyard.local/ns/a/sa/x'] }),
    );
    expect(ts.name).toBe('envoy.transport_sockets.tls');
    if (ts.configType.case !== 'typedConfig') throw new Error('no typed config');
    const ctx = anyUnpack(ts.configType.value, DownstreamTlsContextSchema)!;
    expect(ctx.requireClientCertificate).toBe(true);
    const common = ctx.commonTlsContext!;
    expect(common.alpnProtocols).toEqual(['h2', 'http/1.1']);
    expect(
      common.tlsCertificateSdsSecretConfigs.map((s) => [s.name, s.sdsConfig?.configSourceSpecifier.case]),
    ).toEqual([['switchyard/identity', 'ads']]);
    const v = common.validationContextType;
    expect(v.case).toBe('combinedValidationContext');
    if (v.case !== 'combinedValidationContext') return;
    expect(v.value.validationContextSdsSecretConfig?.name).toBe('switchyard/trust-bundle');
    expect(v.value.validationContextSdsSecretConfig?.sdsConfig?.configSourceSpecifier.case).toBe('ads');
    expect(
      v.value.defaultValidationContext!.matchTypedSubjectAltNames.map((m) => [
        m.sanType,
        m.matcher?.matchPattern.case,
        m.matcher?.matchPattern.value,
      ]),
    ).toEqual([[SubjectAltNameMatcher_SanType.URI, 'exact', 'spiffe://switchyard.local/ns/a/sa/x']]);
  });
});
