// The translation's knobs: their defaults, which envoy/*.yaml and docs/TRANSLATION.md repeat,
// the matcher modes the CLI accepts, how a partial set is completed, and the pods' identity.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSLATE_OPTIONS, GATEWAY_ROUTE_MATCHERS, podIdentity, resolveOptions } from './options.js';

describe('translate options', () => {
  it('defaults to the names the bootstrap files use', () => {
    expect(DEFAULT_TRANSLATE_OPTIONS).toEqual({
      gatewayPort: 10000,
      gatewayAddress: '0.0.0.0',
      trustDomain: 'switchyard.local',
      certificateProviderInstance: 'default',
      caCertificateProviderInstance: 'default',
      identitySecretName: 'switchyard/identity',
      trustBundleSecretName: 'switchyard/trust-bundle',
      accessLogPath: '/dev/stdout',
      gatewayMtls: false,
      gatewayClientIdentities: [],
      gatewayRouteMatcher: 'auto',
      authzCluster: 'switchyard-authz',
      authzFailOpen: false,
      authzTimeout: '0.25s',
      jwksCaFile: '/etc/ssl/certs/ca-certificates.crt',
      gatewayTracing: false,
      tracingCluster: 'switchyard-otel-collector',
      tracingSamplePercent: 100,
    });
    expect(GATEWAY_ROUTE_MATCHERS).toEqual(['auto', 'tree', 'list']);
  });

  it('completes a partial set from the defaults, overriding only what it names', () => {
    expect(resolveOptions()).toBe(DEFAULT_TRANSLATE_OPTIONS);
    const o = resolveOptions({ gatewayPort: 10001, trustDomain: 'example.org' });
    expect(o).toEqual({ ...DEFAULT_TRANSLATE_OPTIONS, gatewayPort: 10001, trustDomain: 'example.org' });
    expect(DEFAULT_TRANSLATE_OPTIONS.gatewayPort).toBe(10000);
  });

  it("spells a pod's SPIFFE identity from the trust domain, namespace and model", () => {
    expect(podIdentity(resolveOptions({ trustDomain: 'example.org' }), 'risk', 'fraud')).toBe(
      'spiffe://example.org/ns/risk/sa/fraud',
    );
  });
});
