// Server-side Listeners for xDS-managed pods: golden files (testdata/in/pod-server/<case>.yaml ->
// testdata/out/pod-server/<case>.listeners.yaml, rewritten only with UPDATE_GOLDEN=1), each
// checked against Envoy's protos and PGV rules, and the rules pod-servers.ts derives per pod.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RBACSchema } from '../../protos/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { DownstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { GOLDEN_IN_DIR, goldenOutFile, readGoldenCase } from '../../test/translate-e2e/golden-cases.js';
import { parsePolicyFile } from '../policy/index.js';
import { checkResources } from '../validate/index.js';
import {
  podServerListenerName,
  podServers,
  resolveOptions,
  TranslationCache,
  translatePodServers,
} from './index.js';
import { renderResourcesYaml } from './render.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const CASES = readdirSync(join(GOLDEN_IN_DIR, 'pod-server'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

describe('pod server listeners: golden files', () => {
  it('has the cases', () => expect(CASES.length).toBeGreaterThanOrEqual(3));
  for (const name of CASES) {
    it(name, () => {
      const { input, options } = readGoldenCase(`pod-server/${name}`);
      const set = translatePodServers(input.routes, input.endpoints, resolveOptions(options));
      expect(set.listeners.length).toBeGreaterThan(0);
      expect(checkResources(set)).toEqual([]);
      const file = goldenOutFile(name, 'pod-server', 'listeners');
      const text = renderResourcesYaml(set, 'listeners');
      if (UPDATE) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      } else {
        expect(existsSync(file), `${file} is missing (UPDATE_GOLDEN=1 writes it)`).toBe(true);
        expect(text).toBe(readFileSync(file, 'utf8'));
      }
    });
  }
});

const route = (model: string, mtls: string, access = '', endpoints = '') =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model}, namespace: default }
spec:
  model: ${model}
  mtls: ${mtls}
  versions:
    - name: v1
      weight: 100
${endpoints ? `      endpoints: [${endpoints}]` : ''}
${access}`,
    `${model}.yaml`,
  )[0]!;

const ep = (address: string, port: number) => ({ address, port, health: 'HEALTHY' as const });
const ids = (...list: string[]) => `  access:\n    identities: [${list.join(', ')}]`;
const A = 'spiffe://switchyard.local/ns/a/sa/x';
const B = 'spiffe://switchyard.local/ns/b/sa/y';

describe('pod server rules', () => {
  it('allows the union only while every model on the pod restricts identities', () => {
    const routes = [route('m1', 'DISABLE', ids(A)), route('m2', 'DISABLE', ids(B, A))];
    const table = new Map([
      ['m1/v1', [ep('10.0.0.1', 8001)]],
      ['m2/v1', [ep('10.0.0.1', 8001), ep('10.0.0.2', 8001)]],
    ]);
    expect(podServers(routes, table)).toEqual([
      { address: '10.0.0.1', port: 8001, models: ['m1', 'm2'], mtls: 'DISABLE', identities: [A, B] },
      { address: '10.0.0.2', port: 8001, models: ['m2'], mtls: 'DISABLE', identities: [A, B] },
    ]);
    // A third model without identities on the first pod opens that pod only.
    const open = new Map([...table, ['m3/v1', [ep('10.0.0.1', 8001)]]]);
    const [first, second] = podServers([...routes, route('m3', 'DISABLE')], open);
    expect(first!.identities).toBeUndefined();
    expect(second!.identities).toEqual([A, B]);
    // So does a discovered model without any policy.
    const unowned = new Map([...table, ['nopolicy/v1', [ep('10.0.0.2', 8001)]]]);
    expect(podServers(routes, unowned)[1]).toMatchObject({ models: ['m2', 'nopolicy'] });
    expect(podServers(routes, unowned)[1]!.identities).toBeUndefined();
  });

  it("counts the pods of a registry version as serving the route's model", () => {
    const r = parsePolicyFile(
      `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud, namespace: default }
spec:
  model: fraud
  mtls: STRICT
  versions:
    - { name: v2, weight: 100, model: { registry: "fraud-reg:2" }, replicas: { min: 1 }, device: cpu }
${ids(A)}`,
      'fraud.yaml',
    )[0]!;
    const table = new Map([
      ['fraud-reg/2', [ep('10.0.0.7', 8001)]],
      ['fraud-reg/3', [ep('10.0.0.8', 8001)]],
    ]);
    const [held, unreferenced] = podServers([r], table);
    expect(held).toEqual({
      address: '10.0.0.7',
      port: 8001,
      models: ['fraud'],
      mtls: 'STRICT',
      identities: [A],
    });
    // A registry version no policy names is a model without a policy: open.
    expect(unreferenced).toEqual({ address: '10.0.0.8', port: 8001, models: ['fraud-reg'], mtls: 'DISABLE' });
  });

  it('takes the strictest mode of the policies on a pod; no policy at all is plaintext', () => {
    const table = new Map([
      ['p/v1', [ep('10.0.0.1', 8001)]],
      ['s/v1', [ep('10.0.0.1', 8001)]],
      ['x/v1', [ep('10.0.0.3', 8001)]],
    ]);
    const out = podServers([route('p', 'PERMISSIVE'), route('s', 'STRICT')], table);
    expect(out.map((p) => p.mtls)).toEqual(['STRICT', 'DISABLE']);
    expect(podServers([route('p', 'PERMISSIVE')], table)[0]!.mtls).toBe('PERMISSIVE');
  });

  it('counts static endpoints as pods and names listeners as the bootstrap template does', () => {
    const r = route('st', 'STRICT', ids(A), '{ address: "::1", port: 9100 }');
    const set = translatePodServers([r], new Map(), resolveOptions());
    expect(set.listeners.map((l) => l.name)).toEqual([podServerListenerName('::1', 9100)]);
    expect(podServerListenerName('::1', 9100)).toBe('grpc/server?xds.resource.listening_address=[::1]:9100');
    expect(podServerListenerName('10.1.2.3', 8001)).toBe(
      'grpc/server?xds.resource.listening_address=10.1.2.3:8001',
    );
  });

  it('returns the same Listener object while a pod and its rules stay the same (within one cache)', () => {
    const cache = new TranslationCache();
    const table = new Map([['m/v1', [ep('10.0.0.1', 8001)]]]);
    const run = (routes: ReturnType<typeof route>[]) =>
      translatePodServers(routes, table, resolveOptions(), cache).listeners[0];
    const first = run([route('m', 'STRICT', ids(A))]);
    expect(run([route('m', 'STRICT', ids(A))])).toBe(first);
    expect(run([route('m', 'STRICT', ids(B))])).not.toBe(first);
  });
});

describe('pod server listeners within one cache', () => {
  const table = new Map([['m/v1', [ep('10.0.0.1', 8001), ep('10.0.0.2', 8001)]]]);
  const tlsOf = (l: Listener) => {
    const ts = l.filterChains[0]!.transportSocket;
    if (ts?.configType.case !== 'typedConfig') return undefined;
    const ctx = anyUnpack(ts.configType.value, DownstreamTlsContextSchema)!.commonTlsContext!;
    const v = ctx.validationContextType;
    return [
      ctx.tlsCertificateProviderInstance?.instanceName,
      v.case === 'validationContext' ? v.value.caCertificateProviderInstance?.instanceName : undefined,
    ];
  };
  const filtersOf = (l: Listener) => {
    const f = l.filterChains[0]!.filters[0]!;
    if (f.configType.case !== 'typedConfig') return [];
    return anyUnpack(f.configType.value, HttpConnectionManagerSchema)!.httpFilters.map((h) => h.name);
  };

  it('builds a new Listener when the provider instances, the mode or the identities change', () => {
    const cache = new TranslationCache();
    const run = (r: ReturnType<typeof route>, options = {}) =>
      translatePodServers([r], table, resolveOptions(options), cache).listeners;
    const [first, second] = run(route('m', 'STRICT', ids(A)));
    expect(tlsOf(first!)).toEqual(['default', 'default']);
    // The two pods share their filter chain, built once.
    expect(second!.filterChains[0]).toBe(first!.filterChains[0]);
    const renamed = run(route('m', 'STRICT', ids(A)), { certificateProviderInstance: 'pod-id' })[0]!;
    expect(tlsOf(renamed)).toEqual(['pod-id', 'default']);
    const roots = run(route('m', 'STRICT', ids(A)), { caCertificateProviderInstance: 'roots' })[0]!;
    expect(tlsOf(roots)).toEqual(['default', 'roots']);
    const plain = run(route('m', 'DISABLE', ids(A)))[0]!;
    expect(tlsOf(plain)).toBeUndefined();
    expect(filtersOf(plain)).toEqual(['envoy.filters.http.rbac', 'envoy.filters.http.router']);
    const open = run(route('m', 'STRICT'))[0]!;
    expect(filtersOf(open)).toEqual(['envoy.filters.http.router']);
    expect(tlsOf(open)).toEqual(['default', 'default']);
    // And back: the first rule gives the first Listener again.
    expect(run(route('m', 'STRICT', ids(A)))[0]).toBe(first);
  });

  it('gives each identity rule its own RBAC filter, exact or prefix', () => {
    const cache = new TranslationCache();
    const principals = (list: string) => {
      const [l] = translatePodServers(
        [route('m', 'DISABLE', ids(list))],
        table,
        resolveOptions(),
        cache,
      ).listeners;
      const f = l!.filterChains[0]!.filters[0]!;
      if (f.configType.case !== 'typedConfig') return [];
      const rbac = anyUnpack(f.configType.value, HttpConnectionManagerSchema)!.httpFilters[0]!;
      if (rbac.configType.case !== 'typedConfig') return [];
      const policy = anyUnpack(rbac.configType.value, RBACSchema)!.rules!.policies['switchyard-pod-callers']!;
      return policy.principals.map((p) =>
        p.identifier.case === 'authenticated'
          ? p.identifier.value.principalName!.matchPattern.value
          : undefined,
      );
    };
    expect(principals(`${A}, ${B}`)).toEqual([A, B]);
    expect(principals(`${A}`)).toEqual([A]);
    expect(principals('spiffe://switchyard.local/ns/a/*')).toEqual(['spiffe://switchyard.local/ns/a/']);
  });
});
