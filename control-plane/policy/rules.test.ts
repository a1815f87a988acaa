// The cross-field rules of one ModelRoute (rules.ts), each at its boundary: what is accepted
// right at a limit, what is refused just past it, and which defaults depend on other fields.
// docs/TRANSLATION.md describes the rules; parse.test.ts covers the common cases.
import { describe, expect, it } from 'vitest';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { parsePolicyFile } from './index.js';
import { applyRules } from './rules.js';
import type { ModelRoute } from './types.js';

function doc(spec: string): string {
  return `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: p }\nspec:\n${spec
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}

function parse(spec: string): ModelRoute {
  const [r] = parsePolicyFile(doc(spec), 'p.yaml');
  return r!;
}

function issuesOf(spec: string): string[] {
  try {
    parsePolicyFile(doc(spec), 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

const ONE = 'model: m\nversions: [{ name: v1 }]';

describe('versions and weights', () => {
  it('keeps the weight a lone version states, and refuses a lone version weighted 0', () => {
    expect(parse('model: m\nversions: [{ name: v1, weight: 7 }]').spec.versions[0]!.weight).toBe(7);
    expect(issuesOf('model: m\nversions: [{ name: v1, weight: 0 }]')).toEqual([
      'spec.versions: weights sum to 0; at least one version needs a weight above 0',
    ]);
  });

  it('accepts weights that sum above 0 even when some are 0', () => {
    const r = parse('model: m\nversions: [{ name: v1, weight: 0 }, { name: v2, weight: 1 }]');
    expect(r.spec.versions.map((v) => v.weight)).toEqual([0, 1]);
  });

  it('says only "is required" of versions without a name, not that they clash', () => {
    expect(issuesOf('model: m\nversions: [{ weight: 1 }, { weight: 1 }]')).toEqual([
      'spec.versions[0].name: is required',
      'spec.versions[1].name: is required',
    ]);
  });

  it('adds no sum-to-0 issue when a weight is missing or invalid', () => {
    expect(issuesOf('model: m\nversions: [{ name: v1, weight: 0 }, { name: v2 }]')).toEqual([
      'spec.versions[1].weight: is required when there is more than one version',
    ]);
    expect(issuesOf('model: m\nversions: [{ name: v1, weight: 0 }, { name: v2, weight: x }]')).toEqual([
      'spec.versions[1].weight: must be an integer',
    ]);
  });

  it('checks no reference when no version name is known', () => {
    expect(issuesOf('model: m\nversions: []\nmatch: [{ headers: { a: b }, version: v1 }]')).toEqual([
      'spec.versions: must have at least 1 item(s)',
    ]);
  });

  it('lists every version in an unknown-reference message, and suggests none when none is near', () => {
    expect(
      issuesOf(
        'model: m\nversions: [{ name: stable, weight: 1 }, { name: canary, weight: 1 }]\nmirror: { version: zz, percent: 5 }',
      ),
    ).toEqual(['spec.mirror.version: unknown version "zz" (versions: stable, canary)']);
  });
});

describe('load balancing', () => {
  it('takes sticky with RING_HASH stated, and keeps an lbPolicy stated without sticky', () => {
    expect(parse(`${ONE}\nsticky: { header: x-user }\nlbPolicy: RING_HASH`).spec.lbPolicy).toBe('RING_HASH');
    expect(parse(`${ONE}\nlbPolicy: LEAST_REQUEST`).spec.lbPolicy).toBe('LEAST_REQUEST');
    expect(parse(ONE).spec.lbPolicy).toBe('ROUND_ROBIN');
  });

  it('refuses orca balancing with a hash, stated or implied by sticky; takes it otherwise', () => {
    const orca = 'proxylessBalancing: { mode: orca }';
    const refusal =
      'spec.proxylessBalancing.mode: orca balances by load and cannot keep a hash: it needs lbPolicy other than RING_HASH (and no sticky)';
    expect(issuesOf(`${ONE}\n${orca}\nlbPolicy: RING_HASH`)).toEqual([refusal]);
    expect(issuesOf(`${ONE}\n${orca}\nsticky: { header: x-user }`)).toEqual([refusal]);
    expect(parse(`${ONE}\n${orca}\nlbPolicy: LEAST_REQUEST`).spec.lbPolicy).toBe('LEAST_REQUEST');
    expect(parse(`${ONE}\nproxylessBalancing: { mode: weights }\nlbPolicy: RING_HASH`).spec.lbPolicy).toBe(
      'RING_HASH',
    );
  });
});

describe('static endpoints', () => {
  it('leaves an empty residency list to the schema', () => {
    expect(
      issuesOf(
        'model: m\nversions: [{ name: v1, endpoints: [{ address: 10.0.0.1, port: 1 }] }]\nresidency: { regions: [] }',
      ),
    ).toEqual(['spec.residency.regions: must have at least 1 item(s)']);
  });

  it('takes endpoints inside residency, and the same address on another port', () => {
    const r = parse(
      'model: m\nversions: [{ name: v1, endpoints: [{ address: 10.0.0.1, port: 1, region: eu }, { address: 10.0.0.1, port: 2, region: us }] }]\nresidency: { regions: [us, eu] }',
    );
    expect(r.spec.versions[0]!.endpoints).toHaveLength(2);
  });

  it('holds endpoints to a cpu preference too, and any preference to nothing', () => {
    const eps =
      'endpoints: [{ address: 10.0.0.1, port: 1, backend: gpu }, { address: 10.0.0.2, port: 1, backend: cpu }]';
    expect(issuesOf(`model: m\nversions: [{ name: v1, ${eps} }]\nbackendPreference: cpu`)).toEqual([
      'spec.versions[0].endpoints[0].backend: must be "cpu": backendPreference cpu never routes to gpu endpoint',
    ]);
    expect(
      parse(`model: m\nversions: [{ name: v1, ${eps} }]\nbackendPreference: any`).spec.backendPreference,
    ).toBe('any');
  });
});

describe('durations', () => {
  it.each([
    'consecutive5xx: 5',
    'consecutiveGatewayFailure: 3',
    'successRateStdevFactor: 1.9',
    'failurePercentageThreshold: 50',
  ])('takes outlier detection with %s as its only detector', (detector) => {
    const [name] = detector.split(':');
    expect(parse(`${ONE}\noutlierDetection: { ${detector} }`).spec.outlierDetection).toHaveProperty(name!);
  });

  it('refuses a max ejection time below the base, takes it equal', () => {
    expect(
      issuesOf(
        `${ONE}\noutlierDetection: { consecutive5xx: 5, baseEjectionTime: 30s, maxEjectionTime: 29s }`,
      ),
    ).toEqual(['spec.outlierDetection.maxEjectionTime: must not be shorter than baseEjectionTime']);
    expect(
      parse(`${ONE}\noutlierDetection: { consecutive5xx: 5, baseEjectionTime: 30s, maxEjectionTime: 30s }`)
        .spec.outlierDetection?.maxEjectionTime,
    ).toBe('30s');
  });

  it('refuses a retry backoff whose max is below its base, takes it equal', () => {
    expect(issuesOf(`${ONE}\nretries: { backoff: { baseInterval: 100ms, maxInterval: 99ms } }`)).toEqual([
      'spec.retries.backoff.maxInterval: must not be shorter than baseInterval',
    ]);
    expect(
      parse(`${ONE}\nretries: { backoff: { baseInterval: 100ms, maxInterval: 100ms } }`).spec.retries.backoff,
    ).toEqual({ baseInterval: '100ms', maxInterval: '100ms' });
  });

  it('refuses a per-try timeout past the route timeout; takes it equal, or with no timeout (0s)', () => {
    expect(issuesOf(`${ONE}\ntimeout: 2s\nretries: { perTryTimeout: 2001ms }`)).toEqual([
      'spec.retries.perTryTimeout: must not be longer than spec.timeout (2s)',
    ]);
    expect(parse(`${ONE}\ntimeout: 2s\nretries: { perTryTimeout: 2000ms }`).spec.retries.perTryTimeout).toBe(
      '2000ms',
    );
    expect(parse(`${ONE}\ntimeout: 0s\nretries: { perTryTimeout: 5s }`).spec.retries.perTryTimeout).toBe(
      '5s',
    );
  });
});

describe('retry budget', () => {
  it('refuses a budget together with circuitBreakers.maxRetries, takes either alone', () => {
    expect(issuesOf(`${ONE}\nretries: { budget: {} }\ncircuitBreakers: { maxRetries: 3 }`)).toEqual([
      'spec.circuitBreakers.maxRetries: cannot be combined with spec.retries.budget: Envoy then ignores maxRetries; keep the budget (a share of active requests) or the fixed limit',
    ]);
    expect(
      parse(`${ONE}\nretries: { budget: {} }\ncircuitBreakers: { maxRequests: 3 }`).spec.retries.budget,
    ).toEqual({ percent: 20, minConcurrency: 3 });
    expect(parse(`${ONE}\ncircuitBreakers: { maxRetries: 3 }`).spec.circuitBreakers?.maxRetries).toBe(3);
  });
});

describe('rules from the other modules', () => {
  it('checks the rollout against the versions and fills its stable version', () => {
    const rollout = 'steps: [{ weight: 5, for: 1s }], analysis: { errorRate: { max: 1% } }';
    expect(issuesOf(`model: m\nversions: [{ name: v1 }]\nrollout: { candidate: v9, ${rollout} }`)).toEqual([
      'spec.rollout.candidate: unknown version "v9" (versions: v1)',
    ]);
    const r = parse(
      `model: m\nversions: [{ name: v1, weight: 1 }, { name: v2, weight: 0 }]\nrollout: { candidate: v2, ${rollout} }`,
    );
    expect(r.spec.rollout?.stable).toBe('v1');
  });

  it('checks registry versions and fills their replicas', () => {
    expect(issuesOf('model: m\nversions: [{ name: v1, device: gpu }]')).toEqual([
      'spec.versions[0].device: applies only to a registry version (model.registry)',
    ]);
    expect(
      parse('model: m\nversions: [{ name: v1, model: { registry: "m:1" } }]').spec.versions[0]!.replicas,
    ).toEqual({ min: 1, max: 1 });
  });

  it('counts static endpoints across versions, at most 256 in one policy', () => {
    const version = (i: number, n: number) =>
      `{ name: v${i}, weight: 1, endpoints: [${Array.from({ length: n }, (_, j) => `{ address: 10.0.${i}.${j}, port: 1 }`).join(', ')}] }`;
    const full = [0, 1, 2, 3].map((i) => version(i, 64));
    expect(parse(`model: m\nversions: [${full.join(', ')}]`).spec.versions).toHaveLength(4);
    expect(issuesOf(`model: m\nversions: [${[...full, version(4, 1)].join(', ')}]`)).toEqual([
      'spec.versions: has 257 static endpoints in all; at most 256 are allowed per policy',
    ]);
  });
});

// The rules run after schema problems too, so one pass reports everything: a value the schema
// dropped is missing here, and must never turn into a TypeError or a second, echoing issue.
describe('rules over a document the schema refused in part', () => {
  it.each([
    [
      'a version that is not a mapping',
      'model: m\nversions: [5, { name: v1, weight: 1, endpoints: [{ address: 10.0.0.1, port: 1 }] }]',
      ['spec.versions[0]: must be a mapping'],
    ],
    [
      'an endpoint that is not a mapping',
      'model: m\nversions: [{ name: v1, endpoints: [5] }]\nresidency: { regions: [eu] }',
      ['spec.versions[0].endpoints[0]: must be a mapping'],
    ],
    [
      'no versions at all, with a rollout',
      'model: m\nrollout: { candidate: v1, steps: [{ weight: 5, for: 1s }], analysis: { errorRate: { max: 1% } } }',
      ['spec.versions: is required'],
    ],
    [
      'match that is not a list',
      'model: m\nversions: [{ name: v1 }]\nmatch: 5',
      ['spec.match: must be a list'],
    ],
    [
      'a match rule that is not a mapping',
      'model: m\nversions: [{ name: v1 }]\nmatch: [5]',
      ['spec.match[0]: must be a mapping'],
    ],
    [
      'a match rule without a version',
      'model: m\nversions: [{ name: v1 }]\nmatch: [{ headers: { a: b } }]',
      ['spec.match[0].version: is required'],
    ],
    [
      'retries that are not a mapping',
      'model: m\nversions: [{ name: v1 }]\nretries: 5',
      ['spec.retries: must be a mapping'],
    ],
  ])('%s', (_what, spec, issues) => {
    expect(issuesOf(spec)).toEqual(issues);
  });

  it('a document without spec', () => {
    expect(() =>
      parsePolicyFile(
        'apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: p }\n',
        'p.yaml',
      ),
    ).toThrow(/spec: is required/);
  });

  it('returns the route only when it found no issue, whatever came before', () => {
    const spec = {
      model: 'm',
      versions: [
        { name: 'v1', weight: 1 },
        { name: 'v1', weight: 1 },
      ],
      match: [],
    };
    const out = [{ path: 'x', message: 'earlier' }];
    expect(applyRules({ spec }, out)).toBeUndefined();
    expect(out.map((i) => i.path)).toEqual(['x', 'spec.versions[1].name']);
    const fine = { spec: { model: 'm', versions: [{ name: 'v1', weight: 1 }], match: [] } };
    expect(applyRules(fine, out)).toBe(fine);
  });
});

describe('endpoints and residency, more than one region', () => {
  it('lists every residency region in its messages, and takes a region without residency', () => {
    expect(
      issuesOf(
        'model: m\nversions: [{ name: v1, endpoints: [{ address: 10.0.0.1, port: 1 }, { address: 10.0.0.2, port: 1, region: us }] }]\nresidency: { regions: [eu, ap] }',
      ),
    ).toEqual([
      'spec.versions[0].endpoints[0].region: is required by residency (regions: eu, ap)',
      'spec.versions[0].endpoints[1].region: "us" is outside residency regions eu, ap',
    ]);
    expect(
      parse('model: m\nversions: [{ name: v1, endpoints: [{ address: 10.0.0.1, port: 1, region: us }] }]')
        .spec.versions[0]!.endpoints![0]!.region,
    ).toBe('us');
  });

  it('takes a retry budget with no circuit breakers at all', () => {
    expect(parse(`${ONE}\nretries: { budget: { percent: 10 } }`).spec.retries.budget).toEqual({
      percent: 10,
      minConcurrency: 3,
    });
  });
});
