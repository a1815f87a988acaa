import { describe, expect, it } from 'vitest';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { parsePolicyFile } from './index.js';
import { POLICY_LIMITS } from './limits.js';

function policy(versions: number, endpointsPerVersion: number, matchRules = 0, headers = 1): string {
  const v = Array.from({ length: versions }, (_, i) => {
    const eps = Array.from(
      { length: endpointsPerVersion },
      (_, j) => `{ address: 10.${i % 250}.${Math.floor(j / 250)}.${j % 250}, port: ${8000 + (j % 1000)} }`,
    );
    return `    - name: v${i}\n      weight: 1\n      endpoints: [${eps.join(', ')}]`;
  });
  const hdrs = Array.from({ length: headers }, (_, h) => `x-h${h}: a`).join(', ');
  const m = Array.from({ length: matchRules }, () => `    - headers: { ${hdrs} }\n      version: v0`);
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: big }
spec:
  model: big
  versions:
${v.join('\n')}
${m.length ? `  match:\n${m.join('\n')}\n` : ''}`;
}

function issuesOf(text: string): string[] {
  try {
    parsePolicyFile(text, 'big.yaml');
  } catch (err) {
    if (err instanceof PolicyValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('policy size limits', () => {
  it('accepts a policy at every limit', () => {
    const versions = POLICY_LIMITS.endpoints / POLICY_LIMITS.endpointsPerVersion;
    expect(
      issuesOf(
        policy(
          versions,
          POLICY_LIMITS.endpointsPerVersion,
          POLICY_LIMITS.matchRules,
          POLICY_LIMITS.headersPerMatch,
        ),
      ),
    ).toEqual([]);
    expect(issuesOf(policy(POLICY_LIMITS.versions, 1))).toEqual([]);
  });

  it('refuses too many versions with the path, and checks no more than the limit of them', () => {
    const issues = issuesOf(policy(8000, 0));
    expect(issues).toEqual([`spec.versions: has 8000 items; at most ${POLICY_LIMITS.versions} are allowed`]);
  });

  it('refuses too many endpoints in one version and in the whole policy', () => {
    expect(issuesOf(policy(1, POLICY_LIMITS.endpointsPerVersion + 1))).toEqual([
      `spec.versions[0].endpoints: has ${POLICY_LIMITS.endpointsPerVersion + 1} items; at most ${POLICY_LIMITS.endpointsPerVersion} are allowed`,
    ]);
    const versions = POLICY_LIMITS.endpoints / POLICY_LIMITS.endpointsPerVersion + 1;
    expect(issuesOf(policy(versions, POLICY_LIMITS.endpointsPerVersion))).toEqual([
      `spec.versions: has ${versions * POLICY_LIMITS.endpointsPerVersion} static endpoints in all; at most ${POLICY_LIMITS.endpoints} are allowed per policy`,
    ]);
  });

  it('refuses too many match rules and too many headers in one rule', () => {
    expect(issuesOf(policy(1, 0, POLICY_LIMITS.matchRules + 1))).toEqual([
      `spec.match: has ${POLICY_LIMITS.matchRules + 1} items; at most ${POLICY_LIMITS.matchRules} are allowed`,
    ]);
    expect(issuesOf(policy(1, 0, 1, POLICY_LIMITS.headersPerMatch + 1))).toEqual([
      `spec.match[0].headers: has ${POLICY_LIMITS.headersPerMatch + 1} entries; at most ${POLICY_LIMITS.headersPerMatch} are allowed`,
    ]);
  });
});
