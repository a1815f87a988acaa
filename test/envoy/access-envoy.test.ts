// `spec.access` on the Envoy gateway, followed over the served resources the way Envoy resolves
// a request (Envoy is not installable here): LDS listener -> its HttpConnectionManager's filter
// chain -> RDS route for the request -> the route's per-filter configs, each enabling a filter
// the listener disables -> what each names: the jwt_authn requirement and its provider's JWKS
// cluster (CDS), the ext_authz service's static bootstrap cluster (envoy/gateway.yaml) and the
// model in its context extensions, and the local rate limit descriptors the route's actions build.
// The authorization service is then asked, on the control plane's own xDS port, what Envoy would
// ask it for that route. A model without access carries none of it; removing a model's access
// takes the filters off the listener. Envoy's rules: per-filter configs are keyed by the filter's
// name in the HCM and a FilterConfig wrapper enables a disabled filter
// (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/http/http_filters#route-based-filter-chain);
// route matching as test/helpers/envoy-route-match.ts follows it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  create,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonValue,
  type MessageShape,
} from '@bufbuild/protobuf';
import { type Any, anyUnpack } from '@bufbuild/protobuf/wkt';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { XDS_REGISTRY } from '../../control-plane/resources/index.js';
import { extAuthzConfig } from '../../control-plane/translate/ext-authz.js';
import { DEFAULT_TRANSLATE_OPTIONS } from '../../control-plane/translate/options.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import { BootstrapSchema } from '../../protos/gen/envoy/config/bootstrap/v3/bootstrap_pb.js';
import type { Cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import {
  FilterConfigSchema,
  type Route,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import {
  ExtAuthzPerRouteSchema,
  ExtAuthzSchema,
} from '../../protos/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import {
  JwtAuthenticationSchema,
  PerRouteConfigSchema,
} from '../../protos/gen/envoy/extensions/filters/http/jwt_authn/v3/config_pb.js';
import { LocalRateLimitSchema } from '../../protos/gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb.js';
import {
  RBACPerRouteSchema,
  RBACSchema,
} from '../../protos/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import {
  type HttpConnectionManager,
  HttpConnectionManagerSchema,
} from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import {
  Authorization,
  type CheckRequest,
  CheckRequestSchema,
  type CheckResponse,
} from '../../protos/gen/envoy/service/auth/v3/external_auth_pb.js';
import { SotwClient } from '../helpers/ads-client.js';
import { type ControlPlaneFixture, modelRouteYaml, startControlPlane } from '../helpers/control-plane.js';
import { type HttpRequest, routeFor } from '../helpers/envoy-route-match.js';
import { Follower } from './follower.js';

const KEY = 'acme-secret-key';
const ACCESS = `  access:
    identities: [spiffe://switchyard.local/ns/apps/*]
    jwt:
      issuer: https://issuer.example
      audiences: [fraud-api]
      jwks: { uri: http://127.0.0.1:8443/jwks.json }
      scopes: [predict]
    apiKeys: [{ sha256: ${createHash('sha256').update(KEY).digest('hex')}, tenant: acme }]
    rateLimit:
      model: { rps: 100 }
      perTenant: { rps: 10 }
`;

/** Each filter type and the per-route type a route's FilterConfig must carry for it. */
const PER_ROUTE: Record<string, [DescMessage, DescMessage]> = {
  [`type.googleapis.com/${RBACSchema.typeName}`]: [RBACSchema, RBACPerRouteSchema],
  [`type.googleapis.com/${JwtAuthenticationSchema.typeName}`]: [
    JwtAuthenticationSchema,
    PerRouteConfigSchema,
  ],
  [`type.googleapis.com/${ExtAuthzSchema.typeName}`]: [ExtAuthzSchema, ExtAuthzPerRouteSchema],
};

function unpack<D extends DescMessage>(any: Any | undefined, schema: D): MessageShape<D> {
  const m = any ? anyUnpack(any, schema) : undefined;
  if (!m) throw new Error(`expected ${schema.typeName}, got ${any?.typeUrl}`);
  return m as MessageShape<D>;
}

function hcmOf(listener: Listener): HttpConnectionManager {
  const tc = listener.filterChains[0]!.filters[0]!.configType;
  if (tc.case !== 'typedConfig') throw new Error('gateway listener without a typed HCM');
  return fromBinary(HttpConnectionManagerSchema, tc.value.value);
}

function filterConfig(hcm: HttpConnectionManager, name: string): Any {
  const f = hcm.httpFilters.find((x) => x.name === name)!;
  if (f.configType.case !== 'typedConfig') throw new Error(`${name} without a typed config`);
  return f.configType.value;
}

const REST: HttpRequest = { authority: 'gw', path: '/v2/models/fraud/infer', headers: {} };
const GRPC: HttpRequest = {
  authority: 'gw',
  path: '/inference.GRPCInferenceService/ModelInfer',
  headers: { 'x-model-name': 'fraud' },
};

describe('spec.access on the Envoy gateway, followed as Envoy resolves a request', () => {
  let fx: ControlPlaneFixture;
  let ads: SotwClient;
  let follow: Follower;

  const gatewayListener = (pick: (hcm: HttpConnectionManager) => boolean) =>
    follow.want(TYPE.LDS, [], (ls) => {
      const l = (ls as Listener[]).find((x) => x.name === 'switchyard-gateway');
      return l && pick(hcmOf(l)) ? l : undefined;
    });
  const gatewayRoutes = () =>
    follow.want(TYPE.RDS, ['switchyard-gateway'], (rs) =>
      (rs as RouteConfiguration[]).find((r) => r.name === 'switchyard-gateway'),
    );

  beforeAll(async () => {
    fx = await startControlPlane({
      'fraud.yaml': modelRouteYaml('fraud', { v1: [100, 8001] }, ACCESS),
      'open.yaml': modelRouteYaml('open', { v1: [100, 8002] }),
    });
    ads = new SotwClient(fx.xdsAddress, { id: 'access-gateway', userAgentName: 'envoy' });
    follow = new Follower(ads);
  }, 60_000);

  afterAll(async () => {
    ads?.close();
    await fx?.close();
  });

  it('runs the access filters in the order of docs/ACCESS.md, the credential filters off unless a route turns them on', async () => {
    const hcm = hcmOf(await gatewayListener((h) => h.httpFilters.length > 1));
    expect(hcm.httpFilters.map((f) => [f.name, f.disabled])).toEqual([
      ['switchyard.access.identity', true],
      ['envoy.filters.http.jwt_authn', true],
      ['envoy.filters.http.ext_authz', true],
      ['switchyard.access.claims', true],
      ['envoy.filters.http.local_ratelimit', false],
      ['envoy.filters.http.router', false],
    ]);
  });

  for (const req of [REST, GRPC])
    it(`enables each filter on the route of a ${req === REST ? 'REST' : 'gRPC'} request, and every name it uses resolves`, async () => {
      const listener = await gatewayListener((h) => h.httpFilters.length > 1);
      const hcm = hcmOf(listener);
      const { route } = routeFor(await gatewayRoutes(), req);
      expect(route, req.path).toBeDefined();
      const perFilter = (route as Route).typedPerFilterConfig;
      expect(Object.keys(perFilter).sort()).toEqual(
        hcm.httpFilters
          .filter((f) => f.disabled)
          .map((f) => f.name)
          .sort(),
      );
      for (const [name, any] of Object.entries(perFilter)) {
        const wrapper = unpack(any, FilterConfigSchema);
        expect(wrapper.disabled, name).toBe(false);
        const [, perRoute] = PER_ROUTE[filterConfig(hcm, name).typeUrl]!;
        unpack(wrapper.config, perRoute);
      }
      const inner = (name: string) => unpack(perFilter[name], FilterConfigSchema).config;

      // jwt_authn: the route's requirement is the model's, whose provider fetches its keys
      // through a CDS cluster that reaches the JWKS host.
      const jwt = unpack(filterConfig(hcm, 'envoy.filters.http.jwt_authn'), JwtAuthenticationSchema);
      const reqName = unpack(
        inner('envoy.filters.http.jwt_authn'),
        PerRouteConfigSchema,
      ).requirementSpecifier;
      expect(reqName).toEqual({ case: 'requirementName', value: 'fraud' });
      const requirement = jwt.requirementMap.fraud!.requiresType;
      expect(requirement.case).toBe('requiresAny');
      const provider = jwt.providers.fraud!;
      expect(provider.forward).toBe(true);
      const src = provider.jwksSourceSpecifier;
      const jwksCluster = src.case === 'remoteJwks' ? src.value.httpUri!.httpUpstreamType.value : undefined;
      const cds = await follow.want(TYPE.CDS, [], (cs) =>
        (cs as Cluster[]).find((c) => c.name === jwksCluster),
      );
      const ep = cds.loadAssignment!.endpoints[0]!.lbEndpoints[0]!.hostIdentifier;
      const addr = ep.case === 'endpoint' ? ep.value.address!.address : undefined;
      expect(addr?.case === 'socketAddress' && [addr.value.address, addr.value.portSpecifier.value]).toEqual([
        '127.0.0.1',
        8443,
      ]);

      // ext_authz: a static cluster of the gateway's bootstrap, fail closed, told the model.
      const authz = unpack(filterConfig(hcm, 'envoy.filters.http.ext_authz'), ExtAuthzSchema);
      const target = authz.services.case === 'grpcService' ? authz.services.value.targetSpecifier : undefined;
      const bootstrap = fromJson(
        BootstrapSchema,
        parse(readFileSync(new URL('../../envoy/gateway.yaml', import.meta.url), 'utf8')) as JsonValue,
        { registry: XDS_REGISTRY },
      );
      expect(bootstrap.staticResources!.clusters.map((c) => c.name)).toContain(
        target?.case === 'envoyGrpc' ? target.value.clusterName : '?',
      );
      expect(authz.failureModeAllow).toBe(false);
      expect(authz.statusOnError?.code).toBe(503);
      const settings = unpack(inner('envoy.filters.http.ext_authz'), ExtAuthzPerRouteSchema).override;
      const extensions = settings.case === 'checkSettings' ? settings.value.contextExtensions : {};
      expect(extensions).toEqual({ model: 'fraud' });

      // local_ratelimit: the descriptors this route's actions build, with the tenant header the
      // authorization service sets, are the model's and the tenant's buckets.
      const rl = unpack(filterConfig(hcm, 'envoy.filters.http.local_ratelimit'), LocalRateLimitSchema);
      const action = route!.action.case === 'route' ? route!.action.value : undefined;
      const headers: Record<string, string> = { 'x-switchyard-tenant': 'acme' };
      const built = action!.rateLimits.map((r) =>
        r.actions.map((a) => {
          const s = a.actionSpecifier;
          if (s.case === 'genericKey') return `${s.value.descriptorKey}=${s.value.descriptorValue}`;
          if (s.case === 'requestHeaders') return `${s.value.descriptorKey}=${headers[s.value.headerName]}`;
          throw new Error(`unfollowed rate limit action ${s.case}`);
        }),
      );
      const buckets = rl.descriptors.map((d) => d.entries.map((e) => `${e.key}=${e.value}`));
      for (const d of built) expect(buckets).toContainEqual(d);
      expect(built).toHaveLength(2);
      expect(rl.rateLimitedAsResourceExhausted).toBe(true);
      expect(rl.responseHeadersToAdd.map((h) => h.header!.key)).toContain('retry-after');
      expect(route!.requestHeadersToRemove).toContain('x-switchyard-tenant');
    });

  it('answers the route check on the control plane xDS port, as the bootstrap cluster reaches it', async () => {
    const Client = clientConstructor(Authorization);
    const client = new Client(fx.xdsAddress, credentials.createInsecure()) as unknown as {
      check(r: CheckRequest, cb: (e: Error | null, r?: CheckResponse) => void): void;
      close(): void;
    };
    const check = (apiKey: string) =>
      new Promise<CheckResponse>((resolve, reject) =>
        client.check(
          create(CheckRequestSchema, {
            attributes: {
              source: { principal: 'spiffe://switchyard.local/ns/apps/sa/web' },
              contextExtensions: { model: 'fraud' },
              request: { http: { headers: { 'x-api-key': apiKey } } },
            },
          }),
          (e, r) => (e ? reject(e) : resolve(r!)),
        ),
      );
    try {
      expect((await check(KEY)).status!.code).toBe(0);
      const bad = await check('not-a-key-7f3a');
      expect(bad.httpResponse.case === 'deniedResponse' && bad.httpResponse.value.status!.code).toBe(401);
      // Counted by model and reason on the control plane's /metrics, never with the key.
      const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
      expect(metrics).toContain(
        'switchyard_gateway_authz_refusals_total{model="fraud",reason="api-key-unknown"} 1',
      );
      expect(metrics).not.toContain('not-a-key-7f3a');
    } finally {
      client.close();
    }
  });

  it('leaves a model without access untouched: no per-filter config, no rate limit actions', async () => {
    const rc = await gatewayRoutes();
    for (const req of [
      { ...REST, path: '/v2/models/open/infer' },
      { ...GRPC, headers: { 'x-model-name': 'open' } },
    ]) {
      const { route } = routeFor(rc, req);
      expect(route).toBeDefined();
      expect(route!.typedPerFilterConfig).toEqual({});
      expect(route!.action.case === 'route' && route!.action.value.rateLimits).toEqual([]);
    }
  });

  it('takes the filters off the listener when the policy drops its access section', async () => {
    fx.write('fraud.yaml', modelRouteYaml('fraud', { v1: [100, 8001] }));
    const hcm = hcmOf(await gatewayListener((h) => h.httpFilters.length === 1));
    expect(hcm.httpFilters.map((f) => f.name)).toEqual(['envoy.filters.http.router']);
    const rc = await follow.want(TYPE.RDS, ['switchyard-gateway'], (rs) => {
      const r = (rs as RouteConfiguration[]).find((x) => x.name === 'switchyard-gateway');
      const route = r ? routeFor(r, REST).route : undefined;
      return route && Object.keys(route.typedPerFilterConfig).length === 0 ? r : undefined;
    });
    const action = routeFor(rc, REST).route!.action;
    expect(action.case === 'route' && action.value.rateLimits).toEqual([]);
  });

  it('fails open only when the operator opts in', () => {
    expect(extAuthzConfig(DEFAULT_TRANSLATE_OPTIONS).failureModeAllow).toBe(false);
    expect(extAuthzConfig({ ...DEFAULT_TRANSLATE_OPTIONS, authzFailOpen: true }).failureModeAllow).toBe(true);
  });
});
