import { describe, expect, it } from 'vitest';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { parsePolicyFile, rolloutDurationMs } from './index.js';
import { modelRouteCrd, modelRouteJsonSchema } from './json-schema.js';

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

const GATE = 'analysis: { errorRate: { max: 1% } }';

function rolloutOf(rollout: string, versions?: string) {
  const [r] = parsePolicyFile(route(rollout, versions), 'p.yaml');
  return r!.spec.rollout!;
}

describe('spec.rollout thresholds', () => {
  it.each([
    ['1%', 0.01],
    [' 0.5 % ', 0.005],
    ['0%', 0],
    ['100%', 1],
    [0, 0],
    [100, 1],
    [12.5, 0.125],
  ])('reads the percentage %j as the fraction %j', (max, fraction) => {
    const ro = rolloutOf(
      `candidate: v2\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { errorRate: { max: ${JSON.stringify(max)} } }`,
    );
    expect(ro.analysis.errorRate?.max).toBeCloseTo(fraction, 10);
  });

  it.each(['1', '1%%', 'x1%', '1%x', '1.%', '.5%', '100.1%', -1, 100.5])(
    'refuses the percentage %j',
    (max) => {
      expect(
        issuesOf(
          route(
            `candidate: v2\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { errorRate: { max: ${JSON.stringify(max)} } }`,
          ),
        ),
      ).toEqual([
        `spec.rollout.analysis.errorRate.max: ${JSON.stringify(max)} is not a percentage from 0% to 100% (e.g. 1%)`,
      ]);
    },
  );

  it.each([
    ['1x', 1],
    [' 1.3 x ', 1.3],
    ['1000x', 1000],
    [1, 1],
    [1000, 1000],
  ])('reads the factor %j as %j', (vs, factor) => {
    const ro = rolloutOf(
      `candidate: v2\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { latencyP99: { vsStable: ${JSON.stringify(vs)} } }`,
    );
    expect(ro.analysis.latencyP99?.vsStable).toBe(factor);
  });

  it.each(['2', '2xx', 'x2', '2x2', '1.x', '1000.5x', 0.99, 1001])('refuses the factor %j', (vs) => {
    expect(
      issuesOf(
        route(
          `candidate: v2\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { latencyP99: { vsStable: ${JSON.stringify(vs)} } }`,
        ),
      ),
    ).toEqual([
      `spec.rollout.analysis.latencyP99.vsStable: ${JSON.stringify(vs)} is not a factor from 1x to 1000x (e.g. 1.3x)`,
    ]);
  });

  it('publishes in the JSON Schema the same percentages and factors the checker takes', () => {
    const analysis = ['properties', 'spec', 'properties', 'rollout', 'properties', 'analysis', 'properties'];
    const at = (root: unknown, ...keys: (string | number)[]) =>
      keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
    const schema = modelRouteJsonSchema();
    const percent = at(schema, ...analysis, 'errorRate', 'properties', 'max', 'anyOf');
    const factor = at(schema, ...analysis, 'latencyP99', 'properties', 'vsStable', 'anyOf');
    expect(at(percent, 0)).toEqual({ type: 'number', minimum: 0, maximum: 100 });
    expect(at(factor, 0)).toEqual({ type: 'number', minimum: 1, maximum: 1000 });
    expect(at(schema, ...analysis, 'agreement', 'properties', 'min', 'anyOf')).toEqual(percent);
    expect(at(schema, ...analysis, 'errorRate', 'properties', 'vsStable', 'anyOf')).toEqual(factor);
    expect(at(percent, 1, 'type')).toBe('string');
    expect(at(factor, 1, 'type')).toBe('string');
    const p = new RegExp(at(percent, 1, 'pattern') as string);
    const x = new RegExp(at(factor, 1, 'pattern') as string);
    for (const t of ['1%', ' 0.5 % ', '10 %']) expect(p.test(t)).toBe(true);
    for (const t of ['1', '1%%', 'x1%', '1%x', '1.%', '1x']) expect(p.test(t)).toBe(false);
    for (const t of ['2x', ' 1.3 x ']) expect(x.test(t)).toBe(true);
    for (const t of ['2', '2xx', 'x2', '1.x', '1%']) expect(x.test(t)).toBe(false);
    // The CRD has no structural type for number-or-string, so the API server keeps them as written.
    const crd = modelRouteCrd();
    const crdSpec = at(crd, 'spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties', 'spec');
    expect(at(crdSpec, ...analysis.slice(2), 'errorRate', 'properties', 'max')).toEqual({
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });
});

describe('spec.rollout fields', () => {
  it('fills the analysis defaults and releaseAfter', () => {
    const ro = rolloutOf(`candidate: v2\nsteps: [{ weight: 5, for: 1s }]\n${GATE}`);
    expect(ro.analysis).toEqual({
      errorRate: { max: 0.01 },
      minRequests: 100,
      failureLimit: 2,
      inconclusiveLimit: 30,
      interval: '1s',
    });
    expect(ro.releaseAfter).toBe('60s');
    expect(ro.onFailure).toBe('rollback');
  });

  it('takes every bound at its edge', () => {
    const ro = rolloutOf(`candidate: v2
steps: [{ mirror: 100, for: 1s }, { weight: 0, for: 1s }, { weight: 100, for: 1s }]
analysis:
  minRequests: 1
  latencyP99: { maxMs: 3600000 }
  agreement: { min: 0% }
  failureLimit: 1000
  inconclusiveLimit: 0
  interval: 1ms
releaseAfter: 0s`);
    expect(ro.steps.map((s) => s.weight ?? s.mirror)).toEqual([100, 0, 100]);
    expect(ro.analysis).toMatchObject({
      minRequests: 1,
      failureLimit: 1000,
      inconclusiveLimit: 0,
      interval: '1ms',
    });
    expect(ro.analysis.latencyP99?.maxMs).toBe(3600000);
    expect(ro.releaseAfter).toBe('0s');
    const top = rolloutOf(
      `candidate: v2\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { errorRate: { max: 1% }, minRequests: 1000000000, failureLimit: 1, inconclusiveLimit: 100000 }`,
    );
    expect(top.analysis).toMatchObject({ minRequests: 1e9, failureLimit: 1, inconclusiveLimit: 100000 });
  });

  it('refuses every bound just past its edge', () => {
    const issues = issuesOf(
      route(`
candidate: v2
steps: [{ mirror: 0, for: 0s }, { weight: 101, for: 1s }, { weight: -1, for: 1s }, { mirror: 101, for: 1s }]
analysis:
  minRequests: 0
  latencyP99: { maxMs: 0 }
  agreement: {}
  failureLimit: 0
  inconclusiveLimit: -1
  interval: 0s
`),
    );
    expect(issues).toEqual([
      'spec.rollout.steps[0].mirror: must be > 0',
      'spec.rollout.steps[0].for: must be longer than 0s',
      'spec.rollout.steps[1].weight: must be <= 100',
      'spec.rollout.steps[2].weight: must be >= 0',
      'spec.rollout.steps[3].mirror: must be <= 100',
      'spec.rollout.analysis.minRequests: must be >= 1',
      'spec.rollout.analysis.latencyP99.maxMs: must be > 0',
      'spec.rollout.analysis.agreement.min: is required',
      'spec.rollout.analysis.failureLimit: must be >= 1',
      'spec.rollout.analysis.inconclusiveLimit: must be >= 0',
      'spec.rollout.analysis.interval: must be longer than 0s',
      'spec.rollout.steps[0]: must set weight (candidate share) or mirror (shadow share)',
      // An out-of-range value is dropped, so those steps set neither.
      'spec.rollout.steps[1]: must set weight (candidate share) or mirror (shadow share)',
      'spec.rollout.steps[2]: must set weight (candidate share) or mirror (shadow share)',
      'spec.rollout.steps[3]: must set weight (candidate share) or mirror (shadow share)',
    ]);
    expect(
      issuesOf(
        route(
          `candidate: v2\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { errorRate: { max: 1% }, minRequests: 1000000001, failureLimit: 1001, inconclusiveLimit: 100001 }\nreleaseAfter: 1x`,
        ),
      ),
    ).toEqual([
      'spec.rollout.analysis.minRequests: must be <= 1000000000',
      'spec.rollout.analysis.failureLimit: must be <= 1000',
      'spec.rollout.analysis.inconclusiveLimit: must be <= 100000',
      'spec.rollout.releaseAfter: "1x" is not a duration like 250ms, 1s or 1m30s',
    ]);
  });

  it('takes at most 20 steps, and requires the candidate and the steps', () => {
    const steps = (n: number) => `[${Array.from({ length: n }, () => '{ weight: 5, for: 1s }').join(', ')}]`;
    expect(rolloutOf(`candidate: v2\nsteps: ${steps(20)}\n${GATE}`).steps).toHaveLength(20);
    expect(issuesOf(route(`candidate: v2\nsteps: ${steps(21)}\n${GATE}`))).toEqual([
      'spec.rollout.steps: has 21 items; at most 20 are allowed',
    ]);
    expect(issuesOf(route(`stable: v1\n${GATE}`))).toEqual([
      'spec.rollout.candidate: is required',
      'spec.rollout.steps: is required',
    ]);
  });

  it('lets equal weights follow each other, and compares later steps with the highest so far', () => {
    expect(
      rolloutOf(
        `candidate: v2\nsteps: [{ weight: 10, for: 1s }, { weight: 10, for: 1s }, { mirror: 5, for: 1s }]\n${GATE}`,
      ).steps,
    ).toHaveLength(3);
    expect(
      issuesOf(
        route(
          `candidate: v2\nsteps: [{ weight: 30, for: 1s }, { weight: 20, for: 1s }, { weight: 25, for: 1s }]\n${GATE}`,
        ),
      ),
    ).toEqual([
      "spec.rollout.steps[1].weight: must not be below an earlier step's 30",
      "spec.rollout.steps[2].weight: must not be below an earlier step's 30",
    ]);
  });

  it('says which threshold an empty errorRate gate lacks', () => {
    expect(
      issuesOf(route('candidate: v2\nsteps: [{ weight: 5, for: 1s }]\nanalysis: { errorRate: {} }')),
    ).toEqual(['spec.rollout.analysis.errorRate: sets no threshold; give max and/or vsStable']);
  });
});

describe('spec.rollout references', () => {
  it('compares with the first of the heaviest other versions, weight 0 included', () => {
    const steps = `steps: [{ weight: 5, for: 1s }]\n${GATE}`;
    expect(
      rolloutOf(
        `candidate: v3\n${steps}`,
        '[{ name: v1, weight: 50 }, { name: v2, weight: 50 }, { name: v3, weight: 0 }]',
      ).stable,
    ).toBe('v1');
    expect(
      rolloutOf(`candidate: v1\n${steps}`, '[{ name: v1, weight: 100 }, { name: v2, weight: 0 }]').stable,
    ).toBe('v2');
    expect(
      rolloutOf(`candidate: v1\nstable: v2\n${steps}`, '[{ name: v1, weight: 100 }, { name: v2, weight: 0 }]')
        .stable,
    ).toBe('v2');
  });

  it('refuses an unknown stable version, naming the versions', () => {
    expect(issuesOf(route(`candidate: v2\nstable: v7\nsteps: [{ weight: 5, for: 1s }]\n${GATE}`))).toEqual([
      'spec.rollout.stable: unknown version "v7" (versions: v1, v2)',
    ]);
  });
});

describe('rolloutDurationMs', () => {
  it('turns an accepted duration into whole milliseconds', () => {
    expect(rolloutDurationMs('1m30s')).toBe(90_000);
    expect(rolloutDurationMs('1500us')).toBe(2);
    expect(rolloutDurationMs('1400us')).toBe(1);
  });
});
