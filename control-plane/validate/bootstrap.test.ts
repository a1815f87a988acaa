// envoy/gateway.yaml and envoy/sidecar.yaml parse into Envoy's own Bootstrap message (unknown
// fields rejected, Any payloads resolved through the registry) and pass the PGV checker.
import { readFileSync } from 'node:fs';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Bootstrap, BootstrapSchema } from '../../protos/gen/envoy/config/bootstrap/v3/bootstrap_pb.js';
import { UpstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { checkMessage, XDS_REGISTRY } from './index.js';

function load(name: string): Bootstrap {
  const text = readFileSync(new URL(`../../envoy/${name}`, import.meta.url), 'utf8');
  return fromJson(BootstrapSchema, parse(text) as JsonValue, {
    registry: XDS_REGISTRY,
    ignoreUnknownFields: false,
  });
}

describe.each(['gateway', 'sidecar'])('envoy/%s.yaml', (role) => {
  const bootstrap = load(`${role}.yaml`);

  it('passes the PGV rules of envoy.config.bootstrap.v3.Bootstrap', () => {
    expect(checkMessage(BootstrapSchema, bootstrap)).toEqual([]);
  });

  it('identifies the node and asks for the Envoy flavor', () => {
    // <SPIFFE ID>#<instance>: the control plane refuses a node id that does not name its
    // certificate's identity (docs/SECURITY.md, "Node ids").
    const ns = role === 'gateway' ? 'switchyard-system' : 'default';
    expect(bootstrap.node!.id).toBe(`spiffe://switchyard.local/ns/${ns}/sa/${role}#${role}-0`);
    expect(bootstrap.node!.cluster).toBe(`switchyard-${role}`);
    expect(bootstrap.node!.metadata).toEqual({ 'switchyard.flavor': 'envoy', 'switchyard.role': role });
  });

  it('keeps the admin interface on loopback', () => {
    const admin = bootstrap.admin!.address!.address;
    expect(admin.case).toBe('socketAddress');
    expect(admin.case === 'socketAddress' && admin.value.address).toBe('127.0.0.1');
  });

  it('takes listeners and clusters from ADS on port 18000 over mTLS', () => {
    const dyn = bootstrap.dynamicResources!;
    expect(dyn.ldsConfig!.configSourceSpecifier.case).toBe('ads');
    expect(dyn.cdsConfig!.configSourceSpecifier.case).toBe('ads');
    const grpc = dyn.adsConfig!.grpcServices[0]!.targetSpecifier;
    expect(grpc.case).toBe('envoyGrpc');
    const name = grpc.case === 'envoyGrpc' ? grpc.value.clusterName : '';
    const xds = bootstrap.staticResources!.clusters.find((c) => c.name === name)!;
    const addr = xds.loadAssignment!.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
    const socket = addr.case === 'endpoint' ? addr.value.address!.address : undefined;
    expect(socket?.case === 'socketAddress' && socket.value.portSpecifier).toEqual({
      case: 'portValue',
      value: 18000,
    });
    const ts = xds.transportSocket!.configType;
    const tls = ts.case === 'typedConfig' ? anyUnpack(ts.value, UpstreamTlsContextSchema) : undefined;
    // The identity and trust bundle come from the agent's SDS files (test/envoy/bootstrap-xds-tls.test.ts).
    expect(tls!.commonTlsContext!.tlsCertificateSdsSecretConfigs).toHaveLength(1);
    const vc = tls!.commonTlsContext!.validationContextType;
    expect(
      vc.case === 'combinedValidationContext' &&
        vc.value.defaultValidationContext!.matchTypedSubjectAltNames[0]!.matcher!.matchPattern,
    ).toEqual({
      case: 'exact',
      value: 'spiffe://switchyard.local/ns/switchyard-system/sa/control-plane',
    });
  });
});

describe('bootstrap parsing', () => {
  it('rejects unknown fields', () => {
    expect(() =>
      fromJson(
        BootstrapSchema,
        { node: { id: 'x', clustr: 'y' } },
        { registry: XDS_REGISTRY, ignoreUnknownFields: false },
      ),
    ).toThrow(/clustr/);
  });

  it('reports PGV violations in a bootstrap', () => {
    const b = fromJson(
      BootstrapSchema,
      { admin: { address: { socket_address: { address: '', port_value: 70000 } } } },
      {
        registry: XDS_REGISTRY,
      },
    );
    expect(checkMessage(BootstrapSchema, b)).toEqual([
      { path: 'admin.address.socket_address.address', message: 'must be at least 1 character(s) long' },
      { path: 'admin.address.socket_address.port_value', message: 'must be <= 65535' },
    ]);
  });
});
