import { describe, expect, it } from 'vitest';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { parsePolicyFile } from './index.js';

function route(rollout: string, versions = '[{ name: v1, weight: 100 }, { name: v2, weight: 0 }]'): string {
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions: ${versions}
  rollout:
${rollout
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;
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

describe('spec.rollout', () => {
  it('parses the documented example, with units turned into fractions and factors', () => {
    const [r] = parsePolicyFile(
      route(`
candidate: v2
steps:
  - { mirror: 20, for: 1m }
  - { weight: 5, for: 30s }
  - { weight: 25, for: 1m }
analysis:
  minRequests: 200
  errorRate: { max: 1%, vsStable: 2x }
  latencyP99: { maxMs: 80, vsStable: 1.3x }
  agreement: { min: 99% }
  failureLimit: 2
onFailure: pause
`),
      'p.yaml',
    );
    const ro = r?.spec.rollout;
    expect(ro?.candidate).toBe('v2');
    expect(ro?.stable).toBe('v1');
    expect(ro?.steps).toEqual([
      { mirror: 20, for: '1m' },
      { weight: 5, for: '30s' },
      { weight: 25, for: '1m' },
    ]);
    expect(ro?.analysis.errorRate).toEqual({ max: 0.01, vsStable: 2 });
    expect(ro?.analysis.latencyP99).toEqual({ maxMs: 80, vsStable: 1.3 });
    expect(ro?.analysis.agreement).toEqual({ min: 0.99 });
    expect(ro?.analysis.minRequests).toBe(200);
    expect(ro?.analysis.interval).toBe('1s');
    expect(ro?.analysis.inconclusiveLimit).toBe(30);
    expect(ro?.onFailure).toBe('pause');
  });

  it('defaults onFailure to rollback and stable to the heaviest other version', () => {
    const [r] = parsePolicyFile(
      route(
        'candidate: v3\nsteps: [{ weight: 10, for: 5s }]\nanalysis: { errorRate: { max: 2% } }',
        '[{ name: v1, weight: 30 }, { name: v2, weight: 70 }, { name: v3, weight: 0 }]',
      ),
      'p.yaml',
    );
    expect(r?.spec.rollout?.onFailure).toBe('rollback');
    expect(r?.spec.rollout?.stable).toBe('v2');
  });

  it('reports every problem with its path', () => {
    const issues = issuesOf(
      route(`
candidate: v9
steps:
  - { for: 10s }
  - { weight: 50, mirror: 10, for: 10s }
  - { weight: 20, for: soon }
analysis:
  errorRate: { max: 120%, vsStable: 0.5x }
  latencyP99: {}
  failurLimit: 3
onFailure: retreat
`),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'spec.rollout.candidate: unknown version "v9" (versions: v1, v2)',
        'spec.rollout.steps[0]: must set weight (candidate share) or mirror (shadow share)',
        'spec.rollout.steps[1]: sets both weight and mirror; a step either shifts or mirrors traffic',
        'spec.rollout.steps[2].for: "soon" is not a duration like 250ms, 1s or 1m30s',
        "spec.rollout.steps[2].weight: must not be below an earlier step's 50",
        'spec.rollout.analysis.errorRate.max: "120%" is not a percentage from 0% to 100% (e.g. 1%)',
        'spec.rollout.analysis.errorRate.vsStable: "0.5x" is not a factor from 1x to 1000x (e.g. 1.3x)',
        'spec.rollout.analysis.latencyP99: sets no threshold; give maxMs and/or vsStable',
        expect.stringMatching(/^spec\.rollout\.analysis\.failurLimit: unknown field.*failureLimit/),
        expect.stringMatching(/^spec\.rollout\.onFailure: must be one of rollback, pause/),
      ]),
    );
  });

  it('needs a gate, steps, and a stable version distinct from the candidate', () => {
    expect(issuesOf(route('candidate: v2\nsteps: [{ weight: 5, for: 1s }]'))).toContain(
      'spec.rollout.analysis: needs at least one gate: errorRate, latencyP99 or agreement',
    );
    expect(issuesOf(route('candidate: v2\nsteps: []\nanalysis: { errorRate: { max: 1% } }'))).toContain(
      'spec.rollout.steps: must have at least 1 item(s)',
    );
    expect(
      issuesOf(
        route(
          'candidate: v2\nstable: v2\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { errorRate: { max: 1% } }',
        ),
      ),
    ).toContain('spec.rollout.stable: must differ from candidate');
    expect(
      issuesOf(
        route(
          'candidate: v1\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { errorRate: { max: 1% } }',
          '[{ name: v1 }]',
        ),
      ),
    ).toContain('spec.rollout: has no stable version to compare against (versions: v1)');
  });
});
