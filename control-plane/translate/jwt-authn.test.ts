// The gateway's JWT filter for the key sets and rules the goldens do not hold: remote JWKS over
// plain HTTP, on an explicit port or at an IP address (IPv4 and IPv6), a fractional clock skew,
// and models without a JWT rule next to one with it.
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { Cluster_DiscoveryType } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { SubjectAltNameMatcher_SanType } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { UpstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { parsePolicyFile } from '../policy/index.js';
import type { ModelRoute } from '../policy/types.js';
import { jwksCluster, jwtAuthnConfig, jwtPerRoute } from './jwt-authn.js';
import { DEFAULT_TRANSLATE_OPTIONS } from './options.js';

function route(model: string, access: string): ModelRoute {
  return parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model} }
spec:
  model: ${model}
  versions: [{ name: v1, weight: 100 }]
${access}`,
    `${model}.yaml`,
  )[0]!;
}

const jwt = (model: string, jwks: string, more = '') =>
  route(
    model,
    `  access:
    jwt:
      issuer: https://issuer.example
      audiences: [a]
      jwks: ${jwks}
${more}`,
  );

const EC_KEY =
  '{ kty: EC, crv: P-256, kid: k1, x: f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU, y: x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0 }';

const OPTIONS = { ...DEFAULT_TRANSLATE_OPTIONS, jwksCaFile: '/etc/jwks/ca.pem' };

/** What Envoy dials for a JWKS cluster: discovery type, address, port and TLS, if any. */
function dial(uri: string) {
  const c = jwksCluster(jwt('fraud', `{ uri: "${uri}" }`), OPTIONS)!;
  const lb = c.loadAssignment!.endpoints[0]!.lbEndpoints[0]!;
  if (lb.hostIdentifier.case !== 'endpoint') throw new Error(String(lb.hostIdentifier.case));
  const sa = lb.hostIdentifier.value.address!.address;
  if (sa.case !== 'socketAddress') throw new Error(String(sa.case));
  const type =
    c.clusterDiscoveryType.case === 'type' ? Cluster_DiscoveryType[c.clusterDiscoveryType.value] : '?';
  let tls: { sni: string; ca: unknown; san: unknown[] } | undefined;
  if (c.transportSocket) {
    const any = c.transportSocket.configType.value!;
    const ctx = anyUnpack(any, UpstreamTlsContextSchema)!;
    const v = ctx.commonTlsContext!.validationContextType;
    if (v.case !== 'validationContext') throw new Error(String(v.case));
    tls = {
      sni: ctx.sni,
      ca: v.value.trustedCa?.specifier,
      san: v.value.matchTypedSubjectAltNames.map((m) => [m.sanType, m.matcher?.matchPattern]),
    };
  }
  return {
    name: c.name,
    assignment: c.loadAssignment!.clusterName,
    type,
    address: sa.value.address,
    port: sa.value.portSpecifier.value,
    tls,
  };
}

describe('the JWKS cluster', () => {
  it('dials a host name over plain HTTP (loopback only) on port 80, by DNS and without TLS', () => {
    expect(dial('http://localhost/jwks')).toEqual({
      name: 'fraud/-/jwks',
      assignment: 'fraud/-/jwks',
      type: 'STRICT_DNS',
      address: 'localhost',
      port: 80,
      tls: undefined,
    });
  });

  it('dials an IPv4 address statically, on the port the URI names', () => {
    expect(dial('http://127.0.0.1:9000/jwks')).toMatchObject({
      type: 'STATIC',
      address: '127.0.0.1',
      port: 9000,
      tls: undefined,
    });
  });

  it('dials an IPv6 address statically, without its brackets, over TLS on port 443', () => {
    expect(dial('https://[::1]/jwks')).toMatchObject({ type: 'STATIC', address: '::1', port: 443 });
  });

  it('checks an HTTPS host against the JWKS CA and by its DNS name, on the port the URI names', () => {
    expect(dial('https://keys.example:8443/jwks')).toEqual({
      name: 'fraud/-/jwks',
      assignment: 'fraud/-/jwks',
      type: 'STRICT_DNS',
      address: 'keys.example',
      port: 8443,
      tls: {
        sni: 'keys.example',
        ca: { case: 'filename', value: '/etc/jwks/ca.pem' },
        san: [[SubjectAltNameMatcher_SanType.DNS, { case: 'exact', value: 'keys.example' }]],
      },
    });
  });

  it('takes a host name that starts or ends with a digit for a DNS name', () => {
    expect(dial('https://1.keys.example/jwks')).toMatchObject({
      type: 'STRICT_DNS',
      address: '1.keys.example',
    });
    expect(dial('https://idp2/jwks')).toMatchObject({ type: 'STRICT_DNS', address: 'idp2' });
  });

  it('is none for inline keys or a model without a JWT rule', () => {
    expect(jwksCluster(jwt('fraud', `{ inline: { keys: [${EC_KEY}] } }`), OPTIONS)).toBeUndefined();
    expect(jwksCluster(route('open', ''), OPTIONS)).toBeUndefined();
  });
});

describe('the JWT filter config', () => {
  it('has a provider and requirement for each model with a JWT rule, and is none without one', () => {
    const open = route('open', '');
    expect(jwtAuthnConfig([open])).toBeUndefined();
    const config = jwtAuthnConfig([open, jwt('fraud', '{ uri: "https://keys.example/jwks" }')])!;
    expect(Object.keys(config.providers)).toEqual(['fraud']);
    expect(Object.keys(config.requirementMap)).toEqual(['fraud']);
  });

  it('rounds a clock skew up to whole seconds', () => {
    const r = jwt('fraud', '{ uri: "https://keys.example/jwks" }', '      clockSkew: 1500ms\n');
    expect(jwtAuthnConfig([r])!.providers.fraud!.clockSkewSeconds).toBe(2);
  });

  it("names the model's requirement on its routes", () => {
    expect(jwtPerRoute('fraud').requirementSpecifier).toEqual({ case: 'requirementName', value: 'fraud' });
  });
});
