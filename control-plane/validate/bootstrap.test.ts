// envoy/gateway.yaml and envoy/sidecar.yaml parse into Envoy's own Bootstrap message (unknown
// fields rejected, Any payloads resolved through the registry) and pass the PGV checker.
import { readFileSync } from 'node:fs';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Bootstrap, BootstrapSchema } from '../../protos/gen/envoy/config/bootstrap/v3/bootstrap_pb.js';
import { DownstreamConnectionsConfigSchema } from '../../protos/gen/envoy/extensions/resource_monitors/downstream_connections/v3/downstream_connections_pb.js';
import { FixedHeapConfigSchema } from '../../protos/gen/envoy/extensions/resource_monitors/fixed_heap/v3/fixed_heap_pb.js';
import { UpstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { XDS_REGISTRY } from '../resources/index.js';
import { DEFAULT_TRANSLATE_OPTIONS } from '../translate/options.js';
import { defaultGroupOf, nodeRole } from '../xds/server/node-flavor.js';
import { checkMessage } from './index.js';

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
    // The role picks the group, hence where the listener binds (docs/XDS.md, "Node roles").
    expect(nodeRole(bootstrap.node)).toBe(role);
    expect(defaultGroupOf(bootstrap.node)).toBe(role === 'sidecar' ? 'envoy+sidecar' : 'envoy');
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

describe('envoy/gateway.yaml overload manager', () => {
  const om = load('gateway.yaml').overloadManager!;

  it('caps downstream connections and the heap, as Envoy edge best practices say', () => {
    const monitors = Object.fromEntries(om.resourceMonitors.map((m) => [m.name, m.configType]));
    const conns = monitors['envoy.resource_monitors.global_downstream_max_connections'];
    expect(
      conns?.case === 'typedConfig' && anyUnpack(conns.value, DownstreamConnectionsConfigSchema),
    ).toMatchObject({
      maxActiveDownstreamConnections: 50000n,
    });
    const heap = monitors['envoy.resource_monitors.fixed_heap'];
    expect(heap?.case === 'typedConfig' && anyUnpack(heap.value, FixedHeapConfigSchema)).toMatchObject({
      maxHeapSizeBytes: 2n ** 31n,
    });
    // Every action is triggered by a configured monitor, or Envoy refuses the bootstrap.
    for (const a of om.actions)
      for (const t of a.triggers) expect(Object.keys(monitors), `${a.name}`).toContain(t.name);
    expect(om.actions.map((a) => a.name)).toEqual([
      'envoy.overload_actions.shrink_heap',
      'envoy.overload_actions.stop_accepting_requests',
    ]);
  });
});

describe('envoy/gateway.yaml clusters of the access filters and the tracer', () => {
  const b = load('gateway.yaml');
  const byName = new Map(b.staticResources!.clusters.map((c) => [c.name, c]));
  const port = (name: string) => {
    const ep = byName.get(name)!.loadAssignment!.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
    const a = ep.case === 'endpoint' ? ep.value.address!.address : undefined;
    return a?.case === 'socketAddress' && a.value.portSpecifier.value;
  };

  it('has the static clusters the translated filters name (Envoy accepts no other for a gRPC service)', () => {
    expect(byName.has(DEFAULT_TRANSLATE_OPTIONS.authzCluster)).toBe(true);
    expect(byName.has(DEFAULT_TRANSLATE_OPTIONS.tracingCluster)).toBe(true);
  });

  it('reaches the authorization service on the xDS port with the same mTLS as xDS', () => {
    expect(port(DEFAULT_TRANSLATE_OPTIONS.authzCluster)).toBe(18000);
    expect(byName.get(DEFAULT_TRANSLATE_OPTIONS.authzCluster)!.transportSocket).toEqual(
      byName.get('switchyard-xds')!.transportSocket,
    );
    expect(port(DEFAULT_TRANSLATE_OPTIONS.tracingCluster)).toBe(4317);
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
