// `spec.rollout` when parts of it, or of the versions it refers to, are malformed: each problem
// is reported once, at its path, and never turns into a TypeError or an echoing issue.
import { describe, expect, it } from 'vitest';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { parsePolicyFile } from './index.js';

const GATE = 'analysis: { errorRate: { max: 1% } }';

function route(rollout: string, versions = '[{ name: v1, weight: 100 }, { name: v2, weight: 0 }]'): string {
  return `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: fraud }\nspec:\n  model: fraud\n  versions: ${versions}\n  rollout: ${rollout}\n`;
}

function issuesOf(text: string): string[] {
  try {
    parsePolicyFile(text, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

const rollout = (extra: string) => `{ candidate: v2, steps: [{ weight: 5, for: 1s }], ${extra} }`;

describe('spec.rollout, malformed', () => {
  it('refuses a percentage or factor given as a list, whatever it holds', () => {
    expect(issuesOf(route(rollout('analysis: { errorRate: { max: ["1%"] } }')))).toEqual([
      'spec.rollout.analysis.errorRate.max: ["1%"] is not a percentage from 0% to 100% (e.g. 1%)',
    ]);
    expect(issuesOf(route(rollout('analysis: { latencyP99: { vsStable: ["2x"] } }')))).toEqual([
      'spec.rollout.analysis.latencyP99.vsStable: ["2x"] is not a factor from 1x to 1000x (e.g. 1.3x)',
    ]);
  });

  it('reads several decimals, and refuses a factor with anything before its number', () => {
    const [r] = parsePolicyFile(
      route(rollout('analysis: { errorRate: { max: 12.55%, vsStable: 1.25x } }')),
      'p.yaml',
    );
    expect(r!.spec.rollout!.analysis.errorRate).toEqual({ max: 0.1255, vsStable: 1.25 });
    for (const vs of ['+2x', '1 2x'])
      expect(issuesOf(route(rollout(`analysis: { latencyP99: { vsStable: "${vs}" } }`)))).toEqual([
        `spec.rollout.analysis.latencyP99.vsStable: "${vs}" is not a factor from 1x to 1000x (e.g. 1.3x)`,
      ]);
  });

  it('takes agreement as the only gate', () => {
    const [r] = parsePolicyFile(route(rollout('analysis: { agreement: { min: 99% } }')), 'p.yaml');
    expect(r!.spec.rollout!.analysis.agreement).toEqual({ min: 0.99 });
  });

  it('requires each step to say how long it lasts', () => {
    expect(issuesOf(route(`{ candidate: v2, steps: [{ weight: 5 }], ${GATE} }`))).toEqual([
      'spec.rollout.steps[0].for: is required',
    ]);
  });

  it('reports a step, or the rollout, that is not a mapping only as such', () => {
    expect(issuesOf(route(`{ candidate: v2, steps: [5, { weight: 5, for: 1s }], ${GATE} }`))).toEqual([
      'spec.rollout.steps[0]: must be a mapping',
    ]);
    expect(issuesOf(route('5'))).toEqual(['spec.rollout: must be a mapping']);
  });

  it('names only the named versions, and picks the stable version among them', () => {
    expect(
      issuesOf(
        route(`{ candidate: v9, steps: [{ weight: 5, for: 1s }], ${GATE} }`, '[5, { name: v1, weight: 1 }]'),
      ),
    ).toEqual([
      'spec.versions[0]: must be a mapping',
      'spec.rollout.candidate: unknown version "v9" (versions: v1)',
    ]);
    expect(
      issuesOf(
        route(
          `{ candidate: v2, steps: [{ weight: 5, for: 1s }], ${GATE} }`,
          '[{ weight: 50 }, { name: v1, weight: 10 }, { name: v2, weight: 0 }]',
        ),
      ),
    ).toEqual(['spec.versions[0].name: is required']);
  });
});
