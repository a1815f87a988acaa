import { describe, expect, it } from 'vitest';
import type { Issue } from '../../kernel/errors/index.js';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { parsePolicyFile, validatePolicy } from './index.js';
import { checkRegistryVersions, parseRegistryRef, registryRefOf } from './registry-ref.js';

function doc(versions: string): string {
  return `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: p }\nspec:\n  model: fraud\n  versions:\n${versions}`;
}

function issuesOf(text: string): string[] {
  try {
    parsePolicyFile(text, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('expected a PolicyValidationError');
}

describe('registry-backed versions', () => {
  it('reads model.registry, replicas and device, filling max = min and device any', () => {
    const [route] = parsePolicyFile(
      doc(
        '    - { name: v1, weight: 50, model: { registry: "fraud:1" } }\n' +
          '    - { name: v2, weight: 50, model: { registry: "fraud:2.0-rc" }, replicas: { min: 2, max: 6 }, device: gpu }\n',
      ),
      'p.yaml',
    );
    const [v1, v2] = route!.spec.versions;
    expect(v1!.model).toEqual({ registry: 'fraud:1' });
    expect(registryRefOf(v1!)).toEqual({ registry: 'fraud:1', name: 'fraud', version: '1' });
    expect(v1!.replicas).toEqual({ min: 1, max: 1 });
    expect(v1!.device).toBe('any');
    expect(registryRefOf(v2!)).toEqual({ registry: 'fraud:2.0-rc', name: 'fraud', version: '2.0-rc' });
    expect(v2!.replicas).toEqual({ min: 2, max: 6 });
    expect(v2!.device).toBe('gpu');
  });

  it('parses its own output again unchanged (routes go back to the store as documents)', () => {
    const [route] = parsePolicyFile(
      doc('    - { name: v2, model: { registry: "fraud:2" }, replicas: { min: 2, max: 6 }, device: gpu }\n'),
      'p.yaml',
    );
    const issues: Issue[] = [];
    const again = validatePolicy(JSON.parse(JSON.stringify(route)), issues);
    expect(issues).toEqual([]);
    expect(again).toEqual(route);
  });

  it('leaves versions without a registry reference as they were', () => {
    const [route] = parsePolicyFile(doc('    - { name: v1 }\n'), 'p.yaml');
    expect(route!.spec.versions[0]).toEqual({ name: 'v1', weight: 100 });
  });

  it('reports each bad field with its path', () => {
    expect(
      issuesOf(
        doc(
          '    - { name: a, weight: 1, model: { registry: "fraud" } }\n' +
            '    - { name: b, weight: 1, model: { registry: "Fraud:1" } }\n' +
            '    - { name: c, weight: 1, model: { registry: "fraud:2" }, replicas: { min: 5, max: 2 }, device: tpu }\n' +
            '    - { name: d, weight: 1, replicas: { min: 1 }, device: cpu }\n' +
            '    - { name: e, weight: 1, model: { registry: "fraud:3" }, endpoints: [{ address: 10.0.0.1, port: 1 }] }\n' +
            '    - { name: f, weight: 1, model: {} }\n',
        ),
      ),
    ).toEqual([
      'spec.versions[0].model.registry: "fraud" must be NAME:VERSION (e.g. "fraud:2")',
      'spec.versions[1].model.registry: "Fraud" is not a registry name (^[a-z0-9][a-z0-9._-]{0,62}$)',
      'spec.versions[2].device: must be one of gpu, cpu, any (did you mean "gpu"?)',
      'spec.versions[5].model.registry: is required',
      'spec.versions[2].replicas: max 2 is below min 5',
      'spec.versions[3].replicas: applies only to a registry version (model.registry)',
      'spec.versions[3].device: applies only to a registry version (model.registry)',
      'spec.versions[4].endpoints: a registry version (model.registry) takes its endpoints from placement; remove endpoints',
    ]);
  });

  it('accepts no replicas (max 0) only on a version with weight 0', () => {
    const [route] = parsePolicyFile(
      doc(
        '    - { name: v1, weight: 0, model: { registry: "fraud:1" }, replicas: { min: 0, max: 0 } }\n' +
          '    - { name: v2, weight: 100, model: { registry: "fraud:2" } }\n',
      ),
      'p.yaml',
    );
    expect(route!.spec.versions[0]!.replicas).toEqual({ min: 0, max: 0 });
    expect(
      issuesOf(
        doc(
          '    - { name: v1, weight: 5, model: { registry: "fraud:1" }, replicas: { min: 0, max: 0 } }\n' +
            '    - { name: v2, weight: 95, model: { registry: "fraud:2" } }\n',
        ),
      ),
    ).toEqual([
      'spec.versions[0].replicas.max: is 0 (no replicas) but the version has weight 5; set its weight to 0 first',
    ]);
  });

  it('parses references and rejects bad versions', () => {
    expect(parseRegistryRef('a.b_c-d:V1.2')).toEqual({
      registry: 'a.b_c-d:V1.2',
      name: 'a.b_c-d',
      version: 'V1.2',
    });
    expect(parseRegistryRef('fraud:')).toBe(
      '"" is not a registry version (^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$)',
    );
    expect(parseRegistryRef('fraud:-1')).toMatch(/"-1" is not a registry version/);
  });
  it('reads no reference where there is none or it is malformed, and names an empty name as a name', () => {
    expect(registryRefOf({})).toBeUndefined();
    expect(registryRefOf({ model: { registry: 'fraud' } })).toBeUndefined();
    expect(registryRefOf({ model: { registry: 'fraud:1' } })).toEqual({
      registry: 'fraud:1',
      name: 'fraud',
      version: '1',
    });
    expect(parseRegistryRef(':1')).toBe('"" is not a registry name (^[a-z0-9][a-z0-9._-]{0,62}$)');
  });

  it('refuses a reference that is not a string', () => {
    expect(issuesOf(doc('    - { name: a, weight: 1, model: { registry: 5 } }\n'))).toEqual([
      'spec.versions[0].model.registry: must be a string NAME:VERSION',
    ]);
  });

  it('fills max from min when only min is given, never below 1', () => {
    const [route] = parsePolicyFile(
      doc(
        '    - { name: v1, weight: 0, model: { registry: "fraud:1" }, replicas: { min: 3 } }\n' +
          '    - { name: v2, weight: 100, model: { registry: "fraud:2" }, replicas: { min: 0 } }\n',
      ),
      'p.yaml',
    );
    expect(route!.spec.versions.map((v) => v.replicas)).toEqual([
      { min: 3, max: 3 },
      { min: 0, max: 1 },
    ]);
  });

  it('checks nothing, and throws nothing, for versions that are missing or left out', () => {
    const out: Issue[] = [];
    checkRegistryVersions(undefined, out);
    checkRegistryVersions([undefined, { weight: 1 }], out);
    expect(out).toEqual([]);
  });
});
