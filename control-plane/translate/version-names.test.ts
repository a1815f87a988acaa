// A model's cluster names spelled once per translation: the same names names.ts decides, in the
// order of the versions, per entry point.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { clusterName, restClusterName } from './names.js';
import { entryNames, nameOf, versionNames } from './version-names.js';

const spec = parsePolicyFile(
  policy('m', 'versions: [{ name: v2, weight: 60 }, { name: v1, weight: 40 }, { name: dark, weight: 0 }]'),
  'm.yaml',
)[0]!.spec;

describe('versionNames', () => {
  it('spells each version its gRPC and, for Envoy only, its REST cluster name, in declared order', () => {
    const envoy = versionNames(spec, 'envoy');
    expect(envoy.grpc).toEqual(['v2', 'v1', 'dark'].map((v) => clusterName('m', v)));
    expect(envoy.rest).toEqual(['v2', 'v1', 'dark'].map((v) => restClusterName('m', v)));
    expect(versionNames(spec, 'grpc').rest).toEqual([]);
  });

  it('gives Envoy REST requests the REST clusters and every other entry point the gRPC ones', () => {
    const names = versionNames(spec, 'envoy');
    expect(entryNames(names, 'envoy', 'rest')).toBe(names.rest);
    expect(entryNames(names, 'envoy', 'grpc')).toBe(names.grpc);
    expect(entryNames(names, 'envoy', 'any')).toBe(names.grpc);
    expect(entryNames(names, 'grpc', 'any')).toBe(names.grpc);
  });

  it('finds a version by name, and nothing for one the model does not declare', () => {
    const { rest } = versionNames(spec, 'envoy');
    expect(nameOf(spec, rest, 'v1')).toBe(restClusterName('m', 'v1'));
    expect(nameOf(spec, rest, 'dark')).toBe(restClusterName('m', 'dark'));
    expect(nameOf(spec, rest, 'v3')).toBeUndefined();
  });
});
