// The clusters' memo encoding against toBinary: the same bytes for every cluster the golden
// cases and 600 generated policies translate to (both flavors, as every client gets them), with
// none left to toBinary; toBinary's bytes for what it does not walk, and toBinary's error for an
// invalid value.
import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../kernel/errors/index.js';
import {
  type Cluster,
  Cluster_LbPolicy,
  ClusterSchema,
} from '../../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { rng } from '../../../test/helpers/xorshift.js';
import { goldenCaseNames, readGoldenCase } from '../../../test/translate-e2e/golden-cases.js';
import { type ModelRoute, validatePolicy } from '../../policy/index.js';
import { forCapabilities } from '../capabilities.js';
import { translate } from '../index.js';
import { clusterBytes, clusterFallbacks } from './cluster-bytes.js';

// Names whose clusters' lengths cross the one- and two-byte varint boundaries, with dots (the
// Envoy flavor's alt_stat_name) and without.
const MODELS = ['a', 'llama-3.1-8b', 'resnet50', 'm'.repeat(60), 'v.'.repeat(40).slice(0, 63)];

function generatedRoute(r: () => number, i: number): ModelRoute | undefined {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const versions = [
    { name: 'v1', weight: 70 },
    { name: 'v2', weight: 30 },
    { name: 'canary', weight: 0 },
  ].slice(0, 1 + Math.floor(r() * 3));
  const spec: Record<string, unknown> = {
    model: pick(MODELS),
    versions,
    lbPolicy: pick(['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM']),
    mtls: pick(['STRICT', 'PERMISSIVE', 'DISABLE']),
    http2: r() < 0.8,
  };
  if (r() < 0.5) spec.outlierDetection = { failurePercentageThreshold: pick([1, 50, 100]) };
  if (r() < 0.3) spec.outlierDetection = { consecutive5xx: pick([1, 5, 1000]) };
  if (r() < 0.5)
    spec.circuitBreakers = Object.fromEntries(
      ['maxConnections', 'maxRequests', 'maxPendingRequests', 'maxRetries']
        .filter(() => r() < 0.6)
        .map((k) => [k, pick([1, 127, 128, 100_000])]),
    );
  if (r() < 0.3) spec.proxylessBalancing = { mode: pick(['weights', 'orca', 'least-load']) };
  const issues: Issue[] = [];
  const route = validatePolicy(
    {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: `gen-${i}` },
      spec,
    },
    issues,
  );
  return route;
}

function expectSameBytes(clusters: readonly Cluster[]): void {
  for (const c of clusters) expect(clusterBytes(c)).toEqual(toBinary(ClusterSchema, c));
}

const NO_RING_HASH = { headerStringMatch: true, ringHash: false } as Parameters<typeof forCapabilities>[1];

describe('clusterBytes', () => {
  it('encodes every golden cluster as toBinary does, in both flavors, walking every one', () => {
    const fallbacks = clusterFallbacks();
    let n = 0;
    for (const name of goldenCaseNames()) {
      const { input, options } = readGoldenCase(name);
      for (const flavor of ['envoy', 'grpc'] as const) {
        const set = translate(input, flavor, options);
        expectSameBytes(set.clusters);
        expectSameBytes(forCapabilities(set, NO_RING_HASH).clusters);
        n += set.clusters.length;
      }
    }
    expect(n).toBeGreaterThan(50);
    expect(clusterFallbacks()).toBe(fallbacks);
  });

  it('encodes the clusters of generated policies as toBinary does', () => {
    const r = rng(20_261_203);
    const fallbacks = clusterFallbacks();
    let valid = 0;
    let clusters = 0;
    for (let i = 0; i < 600; i++) {
      const route = generatedRoute(r, i);
      if (!route) continue;
      valid++;
      for (const flavor of ['envoy', 'grpc'] as const) {
        const set = translate({ routes: [route], endpoints: new Map() }, flavor);
        expectSameBytes(set.clusters);
        expectSameBytes(forCapabilities(set, NO_RING_HASH).clusters);
        clusters += set.clusters.length;
      }
    }
    // The generator's policies are valid; a rule change that refused them would test nothing.
    expect(valid).toBeGreaterThan(550);
    expect(clusters).toBeGreaterThan(2_000);
    expect(clusterFallbacks()).toBe(fallbacks);
  });

  it("writes what it does not walk with toBinary, and throws toBinary's error for an invalid value", () => {
    const [cluster] = translate(
      { routes: [generatedRoute(rng(5), 0)!], endpoints: new Map() },
      'envoy',
    ).clusters;
    // A sub-message of a type it does not walk (metadata, holding a Struct) is toBinary's.
    const withMetadata: Cluster = {
      ...cluster!,
      metadata: {
        $typeName: 'envoy.config.core.v3.Metadata',
        filterMetadata: { f: { k: 'v' } },
        typedFilterMetadata: {},
      },
    };
    const fallbacks = clusterFallbacks();
    expect(clusterBytes(withMetadata)).toEqual(toBinary(ClusterSchema, withMetadata));
    const bad: Cluster = { ...cluster!, lbPolicy: Number.NaN as Cluster_LbPolicy };
    let expected = 'no error';
    try {
      toBinary(ClusterSchema, bad);
    } catch (e) {
      expected = (e as Error).message;
    }
    expect(expected).not.toBe('no error');
    expect(() => clusterBytes(bad)).toThrow(expected);
    // The invalid value sent the whole cluster to toBinary.
    expect(clusterFallbacks()).toBe(fallbacks + 1);
    // Read afresh each time: a renamed copy is written with its own name.
    const renamed: Cluster = { ...cluster!, name: `${cluster!.name}-x`, lbPolicy: Cluster_LbPolicy.RANDOM };
    expect(clusterBytes(renamed)).toEqual(toBinary(ClusterSchema, renamed));
  });
});
