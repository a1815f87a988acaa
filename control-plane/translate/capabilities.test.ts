import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { Cluster_LbPolicy } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { NodeSchema } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import {
  type HeaderMatcher,
  HeaderMatcherSchema,
  RouteSchema,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { RegexMatcherSchema } from '../../protos/gen/envoy/type/matcher/v3/regex_pb.js';
import { type StringMatcher, StringMatcherSchema } from '../../protos/gen/envoy/type/matcher/v3/string_pb.js';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { capabilityGroupOf, clientOf } from '../xds/server/client-family.js';
import {
  type ClientFamily,
  capabilitiesFor,
  FULL_CAPABILITIES,
  forCapabilities,
  GROUPS,
  groupName,
  LEGACY_HEADER_MATCHERS,
  LEGACY_WITHOUT_RING_HASH,
  ringHashDowngrades,
} from './capabilities.js';
import { translate } from './translator.js';

const node = (name: string, version: string) =>
  create(NodeSchema, {
    userAgentName: name,
    userAgentVersionType: { case: 'userAgentVersion', value: version },
  });

describe('client families and capability sets', () => {
  it('reads the family and version each client announces', () => {
    expect(clientOf(node('gRPC C-core linux Python', 'C-core 29.0.0 Python 1.51.1'))).toEqual({
      family: 'c-core',
      version: '29.0.0 Python 1.51.1',
    });
    expect(clientOf(node('gRPC Node Pure JS', '1.14.1'))).toEqual({ family: 'grpc-js', version: '1.14.1' });
    expect(clientOf(node('gRPC Go', '1.50.0')).family).toBe('grpc-go');
    expect(clientOf(node('gRPC Java', '1.60.0')).family).toBe('grpc-java');
    expect(clientOf(undefined)).toEqual({ family: 'unknown', version: '' });
  });

  it('gives string_match only to releases known to read it', () => {
    const group = (n: string, v: string) => capabilityGroupOf(node(n, v), 'grpc');
    expect(group('gRPC C-core linux', 'C-core 33.0.0')).toBe('grpc+legacy-header-matchers');
    expect(group('gRPC C-core linux', 'C-core 34.0.0')).toBe('grpc');
    expect(group('gRPC Node Pure JS', '1.14.1')).toBe('grpc');
    expect(group('gRPC Node Pure JS', '1.9.0')).toBe('grpc+legacy-header-matchers');
    expect(group('gRPC Node Pure-JS', '')).toBe('grpc');
    expect(group('gRPC Go', '1.56.3')).toBe('grpc+legacy-header-matchers');
    expect(group('gRPC Go', '1.60.0')).toBe('grpc');
    expect(group('some client', '9.9.9')).toBe('grpc+legacy-header-matchers');
    expect(capabilitiesFor('envoy', { family: 'unknown', version: '' }).headerStringMatch).toBe(true);
  });

  it('spells header conditions in the deprecated fields for legacy clients, sharing the rest', () => {
    const routes = parsePolicyFile(
      policy(
        'm',
        `versions: [{ name: v1, weight: 100 }, { name: v2, weight: 0 }]
match:
  - headers: { a: x, b: { prefix: p }, c: { regex: "r.*" }, d: { present: false } }
    version: v2`,
      ),
      'm.yaml',
    );
    const set = translate({ routes, endpoints: new Map() }, 'grpc');
    const legacy = forCapabilities(set, LEGACY_HEADER_MATCHERS);
    const headers = legacy.routes[0]!.virtualHosts[0]!.routes[0]!.match!.headers;
    expect(headers.map((h) => [h.name, h.headerMatchSpecifier.case, h.invertMatch])).toEqual([
      ['a', 'exactMatch', false],
      ['b', 'prefixMatch', false],
      ['c', 'safeRegexMatch', false],
      ['d', 'presentMatch', true],
    ]);
    expect(headers.map((h) => h.headerMatchSpecifier.value)).toEqual([
      'x',
      'p',
      expect.objectContaining({ regex: 'r.*' }),
      true,
    ]);
    // The full set is untouched; everything but the route configuration is the same object.
    expect(set.routes[0]!.virtualHosts[0]!.routes[0]!.match!.headers[0]!.headerMatchSpecifier.case).toBe(
      'stringMatch',
    );
    expect(legacy.clusters).toBe(set.clusters);
    expect(legacy.listeners).toBe(set.listeners);
    expect(forCapabilities(set, LEGACY_HEADER_MATCHERS).routes[0]).toBe(legacy.routes[0]);
  });

  it('gives ring_hash to every client but the C-core releases whose picker crashes on it', () => {
    const group = (n: string, v: string) => capabilityGroupOf(node(n, v), 'grpc');
    // gRPC Python 1.51 reports core 29: SIGSEGV in the ring_hash picker (test/ccore/goldens.test.ts).
    expect(group('gRPC C-core linux Python', 'C-core 29.0.0 Python 1.51.1')).toBe(
      'grpc+legacy-header-matchers+no-ring-hash',
    );
    expect(group('gRPC C-core linux', 'C-core 30.0.0')).toBe('grpc+legacy-header-matchers+no-ring-hash');
    expect(group('gRPC C-core linux', 'C-core 31.0.0')).toBe('grpc+legacy-header-matchers');
    expect(group('gRPC Node Pure JS', '1.9.0')).toBe('grpc+legacy-header-matchers');
    expect(group('gRPC Go', '1.40.0')).toBe('grpc+legacy-header-matchers');
  });

  it('puts every client a published group can serve', () => {
    const families: ClientFamily[] = ['envoy', 'grpc-js', 'c-core', 'grpc-go', 'grpc-java', 'unknown'];
    const versions = [
      '',
      '0.1.0',
      '1.9.0',
      '1.14.0',
      '1.51.1',
      '1.60.0',
      '29.0.0',
      '31.0.0',
      '34.0.0',
      '99.0.0',
    ];
    const published = new Set(GROUPS.map((g) => g.group));
    for (const family of families)
      for (const version of versions) {
        const client = { family, version };
        const n = node(family === 'c-core' ? 'gRPC C-core' : family, version);
        expect(published, `${family} ${version}`).toContain(capabilityGroupOf(n, 'grpc'));
        expect(capabilitiesFor('envoy', client)).toEqual({ headerStringMatch: true, ringHash: true });
      }
  });

  it('serves sticky clusters as ROUND_ROBIN without ring_hash, sharing every other resource', () => {
    const routes = parsePolicyFile(
      `${policy('s', 'versions: [{ name: v1, weight: 50 }, { name: v2, weight: 50 }]\nsticky: { header: x-session-id }')}---
${policy('r', 'versions: [{ name: v1, weight: 100 }]')}`,
      'm.yaml',
    );
    const set = translate({ routes, endpoints: new Map() }, 'grpc');
    const ring = set.clusters.filter((c) => c.lbPolicy === Cluster_LbPolicy.RING_HASH);
    expect(ring.map((c) => c.name)).toEqual(['s/v1', 's/v2']);
    const safe = forCapabilities(set, LEGACY_WITHOUT_RING_HASH);
    expect(safe.clusters.map((c) => [c.name, c.lbPolicy, c.lbConfig.case])).toEqual([
      ['r/v1', Cluster_LbPolicy.ROUND_ROBIN, undefined],
      ['s/v1', Cluster_LbPolicy.ROUND_ROBIN, undefined],
      ['s/v2', Cluster_LbPolicy.ROUND_ROBIN, undefined],
    ]);
    // The round-robin cluster was never touched; the ring-hash ones are one cached copy each.
    expect(safe.clusters[0]).toBe(set.clusters[0]);
    expect(forCapabilities(set, LEGACY_WITHOUT_RING_HASH).clusters[1]).toBe(safe.clusters[1]);
    expect(safe.endpoints).toBe(set.endpoints);
    expect(safe.listeners).toBe(set.listeners);
    expect(ring[0]!.lbPolicy).toBe(Cluster_LbPolicy.RING_HASH);
    expect(ringHashDowngrades(set, LEGACY_WITHOUT_RING_HASH)).toBe(2);
    expect(ringHashDowngrades(set, LEGACY_HEADER_MATCHERS)).toBe(0);
    expect(forCapabilities(set, LEGACY_HEADER_MATCHERS).clusters).toBe(set.clusters);
  });
});

describe('capability sets, spelled out', () => {
  it('names every published group by flavor, missing capabilities and role', () => {
    expect(GROUPS.map((g) => [g.group, g.flavor, g.role])).toEqual([
      ['envoy', 'envoy', 'gateway'],
      ['envoy+sidecar', 'envoy', 'sidecar'],
      ['grpc', 'grpc', 'gateway'],
      ['grpc+legacy-header-matchers', 'grpc', 'gateway'],
      ['grpc+legacy-header-matchers+no-ring-hash', 'grpc', 'gateway'],
    ]);
    expect(GROUPS.map((g) => g.capabilities)).toEqual([
      FULL_CAPABILITIES,
      FULL_CAPABILITIES,
      FULL_CAPABILITIES,
      LEGACY_HEADER_MATCHERS,
      LEGACY_WITHOUT_RING_HASH,
    ]);
    expect([FULL_CAPABILITIES, LEGACY_HEADER_MATCHERS, LEGACY_WITHOUT_RING_HASH]).toEqual([
      { headerStringMatch: true, ringHash: true },
      { headerStringMatch: false, ringHash: true },
      { headerStringMatch: false, ringHash: false },
    ]);
    expect(groupName('grpc', LEGACY_WITHOUT_RING_HASH, 'sidecar')).toBe(
      'grpc+legacy-header-matchers+no-ring-hash+sidecar',
    );
  });

  it('compares versions component by component, at the first release of each family', () => {
    const caps = (family: ClientFamily, version: string) => capabilitiesFor('grpc', { family, version });
    expect(caps('grpc-java', '1.54.0')).toBe(FULL_CAPABILITIES);
    expect(caps('grpc-java', '1.53.9')).toBe(LEGACY_HEADER_MATCHERS);
    expect(caps('grpc-java', '2.0.0')).toBe(FULL_CAPABILITIES);
    expect(caps('grpc-go', '1.57.0')).toBe(FULL_CAPABILITIES);
    expect(caps('grpc-go', '1.57')).toBe(FULL_CAPABILITIES);
    expect(caps('grpc-go', '1')).toBe(LEGACY_HEADER_MATCHERS);
    expect(caps('grpc-go', '0.99.0')).toBe(LEGACY_HEADER_MATCHERS);
    expect(caps('grpc-js', '1.14.0-pre1')).toBe(FULL_CAPABILITIES);
    expect(caps('grpc-js', 'v1.14.0')).toBe(FULL_CAPABILITIES);
    // A version that does not start with a number is no version: the client is taken as current.
    expect(caps('grpc-js', 'v1.9.0')).toBe(FULL_CAPABILITIES);
    expect(caps('c-core', 'core 29.0.0')).toBe(FULL_CAPABILITIES);
    expect(caps('c-core', '34')).toBe(FULL_CAPABILITIES);
    expect(caps('c-core', '33.9.9')).toBe(LEGACY_HEADER_MATCHERS);
    expect(caps('c-core', '30.9')).toBe(LEGACY_WITHOUT_RING_HASH);
    expect(caps('envoy', '1.0.0')).toBe(FULL_CAPABILITIES);
    expect(caps('unknown', '')).toBe(LEGACY_HEADER_MATCHERS);
  });

  it('rewrites every string_match pattern into its deprecated field, and leaves the rest alone', () => {
    const header = (name: string, spec: HeaderMatcher['headerMatchSpecifier']) =>
      create(HeaderMatcherSchema, { name, headerMatchSpecifier: spec });
    const sm = (pattern: StringMatcher['matchPattern']) => ({
      case: 'stringMatch' as const,
      value: create(StringMatcherSchema, { matchPattern: pattern }),
    });
    const regex = create(RegexMatcherSchema, { regex: 'v+' });
    const headers = [
      header('e', sm({ case: 'exact', value: 'x' })),
      header('p', sm({ case: 'prefix', value: 'y' })),
      header('s', sm({ case: 'suffix', value: 'z' })),
      header('c', sm({ case: 'contains', value: 'w' })),
      header('r', sm({ case: 'safeRegex', value: regex })),
      header('n', sm({ case: undefined })),
      header('x', { case: 'presentMatch', value: true }),
    ];
    const withHeaders = create(RouteSchema, { name: 'h', match: { headers } });
    const plain = create(RouteSchema, { name: 'plain', match: { headers: [headers[6]!] } });
    const bare = create(RouteSchema, { name: 'bare' });
    const rc = create(RouteConfigurationSchema, {
      name: 'm',
      virtualHosts: [{ name: 'm', domains: ['*'], routes: [withHeaders, plain, bare] }],
    });
    const set = { listeners: [], routes: [rc], clusters: [], endpoints: [], secrets: [] };
    const legacy = forCapabilities(set, LEGACY_HEADER_MATCHERS).routes[0]!;
    const [h, p, b] = legacy.virtualHosts[0]!.routes;
    expect(
      h!.match!.headers.map((m) => [m.name, m.headerMatchSpecifier.case, m.headerMatchSpecifier.value]),
    ).toEqual([
      ['e', 'exactMatch', 'x'],
      ['p', 'prefixMatch', 'y'],
      ['s', 'suffixMatch', 'z'],
      ['c', 'containsMatch', 'w'],
      ['r', 'safeRegexMatch', regex],
      ['n', 'stringMatch', headers[5]!.headerMatchSpecifier.value],
      ['x', 'presentMatch', true],
    ]);
    expect(h!.match!.headers[5]).toBe(headers[5]);
    expect(h!.match!.headers[6]).toBe(headers[6]);
    // Routes without a string_match condition are not copied.
    expect(p).toBe(plain);
    expect(b).toBe(bare);
    expect(legacy).not.toBe(rc);
    expect(forCapabilities(set, FULL_CAPABILITIES)).toBe(set);
  });
});
