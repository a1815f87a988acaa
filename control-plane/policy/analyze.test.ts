import { describe, expect, it } from 'vitest';
import { analyze, type EndpointFact } from './analyze.js';
import { validatePolicy } from './parse.js';
import type { ModelRoute } from './types.js';

function route(name: string, spec: Record<string, unknown>, namespace = 'default'): ModelRoute {
  const issues: { path: string; message: string }[] = [];
  const r = validatePolicy(
    { apiVersion: 'switchyard.dev/v1alpha1', kind: 'ModelRoute', metadata: { name, namespace }, spec },
    issues,
  );
  if (!r) throw new Error(JSON.stringify(issues));
  return r;
}

const ep = (model: string, version: string, extra: Partial<EndpointFact> = {}): EndpointFact => ({
  model,
  version,
  address: '10.0.0.1',
  port: 8001,
  health: 'HEALTHY',
  source: 'discovered',
  tls: true,
  ...extra,
});

const two = {
  model: 'resnet',
  versions: [
    { name: 'v1', weight: 90 },
    { name: 'v2', weight: 10 },
  ],
};

describe('analyze', () => {
  it('finds nothing in a policy whose versions have healthy endpoints', () => {
    expect(
      analyze({ routes: [route('resnet', two)], endpoints: [ep('resnet', 'v1'), ep('resnet', 'v2')] }),
    ).toEqual([]);
  });

  it('names the second policy that claims a model, with the owner in the fix', () => {
    const [f, ...rest] = analyze({ routes: [route('a', two), route('b', two)] });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: 'error',
      check: 'model-claimed-twice',
      policy: 'default/b',
      path: 'spec.model',
    });
    expect(f!.fix).toContain('default/a');
  });

  it('flags a match pinned to a version without healthy endpoints', () => {
    const r = route('resnet', { ...two, match: [{ headers: { 'x-cohort': 'beta' }, version: 'v2' }] });
    const findings = analyze({
      routes: [r],
      endpoints: [ep('resnet', 'v1'), ep('resnet', 'v2', { health: 'UNHEALTHY' })],
    });
    expect(findings.map((f) => [f.check, f.path])).toEqual([
      ['match-version-without-endpoints', 'spec.match[0].version'],
    ]);
  });

  it('flags weights that are all zero in effect: every weighted version without endpoints', () => {
    const r = route('resnet', {
      model: 'resnet',
      versions: [
        { name: 'v1', weight: 100 },
        { name: 'v2', weight: 0 },
      ],
    });
    const findings = analyze({ routes: [r], endpoints: [ep('resnet', 'v2')] });
    expect(findings.map((f) => f.check)).toEqual(['weights-all-zero']);
    expect(findings[0]!.message).toContain('v1');
  });

  it('flags residency no endpoint satisfies, and not one that some endpoint does', () => {
    const r = route('resnet', { ...two, residency: { regions: ['eu-west'] } });
    const out = analyze({
      routes: [r],
      endpoints: [ep('resnet', 'v1', { region: 'us-east' }), ep('resnet', 'v2', { region: 'us-east' })],
    });
    expect(out.map((f) => [f.check, f.path])).toEqual([
      ['residency-no-eligible-endpoint', 'spec.residency.regions'],
    ]);
    expect(out[0]!.message).toContain('us-east');
    const ok = analyze({
      routes: [r],
      endpoints: [ep('resnet', 'v1', { region: 'eu-west' }), ep('resnet', 'v2')],
    });
    expect(ok).toEqual([]);
  });

  it('flags mTLS STRICT to discovered pods that do not serve TLS, naming them', () => {
    const r = route('resnet', { ...two, mtls: 'STRICT' });
    const out = analyze({
      routes: [r],
      endpoints: [ep('resnet', 'v1'), ep('resnet', 'v2', { tls: false, podId: 'pod-7' })],
    });
    expect(out.map((f) => [f.check, f.path])).toEqual([['mtls-strict-without-tls', 'spec.versions[1]']]);
    expect(out[0]!.message).toContain('pod-7');
    expect(
      analyze({
        routes: [route('resnet', { ...two, mtls: 'PERMISSIVE' })],
        endpoints: [ep('resnet', 'v1'), ep('resnet', 'v2', { tls: false })],
      }),
    ).toEqual([]);
  });

  it('flags a rollout whose candidate is not placed', () => {
    const r = route('resnet', {
      ...two,
      rollout: {
        candidate: 'v2',
        steps: [{ weight: 10, for: '1m' }],
        analysis: { errorRate: { max: '1%' } },
      },
    });
    const out = analyze({
      routes: [r],
      endpoints: [ep('resnet', 'v1'), { ...ep('resnet', 'v2'), empty: true, health: 'UNHEALTHY' }],
    });
    expect(out.map((f) => f.check)).toEqual(['rollout-candidate-not-placed']);
    expect(out[0]!.path).toBe('spec.rollout.candidate');
  });

  it('offline (no endpoint listing) runs only the checks between policies', () => {
    const r = route('resnet', { ...two, mtls: 'STRICT', residency: { regions: ['x'] } });
    expect(analyze({ routes: [r] })).toEqual([]);
  });
});
