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

describe('analyze findings, in full', () => {
  it('says who owns a model claimed twice and how to fix it', () => {
    expect(analyze({ routes: [route('b', two), route('a', two)] })).toEqual([
      {
        severity: 'error',
        check: 'model-claimed-twice',
        policy: 'default/b',
        path: 'spec.model',
        message: 'model resnet is already routed by default/a; this policy would not be served',
        fix: 'move its versions into default/a, or delete one of the two policies',
      },
    ]);
  });

  it('names a match pinned to a version the policy does not list (a route stored before the rule)', () => {
    const r = route('resnet', two);
    const stale = {
      ...r,
      spec: { ...r.spec, match: [{ headers: {}, version: 'v9' }] },
    } as unknown as ModelRoute;
    expect(analyze({ routes: [stale], endpoints: [ep('resnet', 'v1'), ep('resnet', 'v2')] })).toEqual([
      {
        severity: 'error',
        check: 'match-missing-version',
        policy: 'default/resnet',
        path: 'spec.match[0].version',
        message: 'pins requests to version v9, which the policy does not list',
        fix: 'add version v9 to spec.versions, or pin the match to one of v1, v2',
      },
    ]);
  });

  it('says how to give a pinned version endpoints, naming its index', () => {
    const r = route('resnet', { ...two, match: [{ headers: { 'x-cohort': 'beta' }, version: 'v2' }] });
    const [f] = analyze({ routes: [r], endpoints: [ep('resnet', 'v1')] });
    expect(f).toEqual({
      severity: 'error',
      check: 'match-version-without-endpoints',
      policy: 'default/resnet',
      path: 'spec.match[0].version',
      message: 'pins requests to version v2, which has no healthy endpoint: matching requests fail',
      fix: 'start pods serving resnet v2 (or place it: spec.versions[1].model), or pin the match to a version that has endpoints',
    });
  });

  it('counts UNKNOWN health as usable, and neither other states nor placeholder rows', () => {
    const r = route('resnet', { ...two, match: [{ headers: { 'x-cohort': 'beta' }, version: 'v2' }] });
    const findings = (v2: EndpointFact[]) =>
      analyze({ routes: [r], endpoints: [ep('resnet', 'v1'), ...v2] }).map((f) => f.check);
    expect(findings([ep('resnet', 'v2', { health: 'UNKNOWN' })])).toEqual([]);
    expect(findings([ep('resnet', 'v2', { health: 'DRAINING' })])).toEqual([
      'match-version-without-endpoints',
    ]);
    expect(findings([ep('resnet', 'v2', { empty: true })])).toEqual(['match-version-without-endpoints']);
    // Endpoints of another model with the same version name do not count either.
    expect(findings([ep('other', 'v2')])).toEqual(['match-version-without-endpoints']);
  });

  it('lists every weighted version when none has endpoints', () => {
    const r = route('resnet', two);
    expect(analyze({ routes: [r], endpoints: [] })).toEqual([
      {
        severity: 'error',
        check: 'weights-all-zero',
        policy: 'default/resnet',
        path: 'spec.versions',
        message:
          'every version with a weight above 0 (v1, v2) has no healthy endpoint: the effective weights are all zero and requests fail',
        fix: 'start or place pods for a weighted version, or move the weight to a version that has endpoints',
      },
    ]);
    expect(analyze({ routes: [r], endpoints: [ep('resnet', 'v2')] })).toEqual([]);
  });

  it('says where the healthy endpoints are when none lies in the residency regions', () => {
    const r = route('resnet', { ...two, residency: { regions: ['eu-west', 'eu-north'] } });
    const out = analyze({
      routes: [r],
      endpoints: [
        ep('resnet', 'v1', { region: 'us-east' }),
        ep('resnet', 'v1', { region: 'us-east', address: '10.0.0.2' }),
        ep('resnet', 'v2'),
        ep('resnet', 'v2', { region: 'eu-west', health: 'UNHEALTHY' }),
      ],
    });
    expect(out).toEqual([
      {
        severity: 'error',
        check: 'residency-no-eligible-endpoint',
        policy: 'default/resnet',
        path: 'spec.residency.regions',
        message:
          'no healthy endpoint lies in eu-west, eu-north (they are in us-east, no region): nothing may receive traffic',
        fix: 'run pods with --region in one of eu-west, eu-north, or widen spec.residency.regions',
      },
    ]);
  });

  it('names at most three pods without TLS, counting all of them, and leaves static endpoints out', () => {
    const r = route('resnet', { ...two, mtls: 'STRICT' });
    const plain = (i: number, podId?: string) =>
      ep('resnet', 'v1', {
        tls: i === 3 ? undefined : false,
        address: `10.0.0.${i}`,
        ...(podId ? { podId } : {}),
      });
    const out = analyze({
      routes: [r],
      endpoints: [
        plain(1, 'pod-1'),
        plain(2),
        plain(3, 'pod-3'),
        plain(4, 'pod-4'),
        ep('resnet', 'v2', { source: 'static', tls: undefined }),
      ],
    });
    expect(out).toEqual([
      {
        severity: 'error',
        check: 'mtls-strict-without-tls',
        policy: 'default/resnet',
        path: 'spec.versions[0]',
        message:
          'spec.mtls is STRICT but 4 pod(s) of v1 do not serve TLS (pod-1, 10.0.0.2:8001, pod-3): their connections fail',
        fix: 'give those pods a workload certificate (docs/SECURITY.md), or set spec.mtls to PERMISSIVE until they have one',
      },
    ]);
  });

  it('tells a registry candidate from a static one when the rollout candidate has no endpoint', () => {
    const rollout = {
      candidate: 'v2',
      steps: [{ weight: 10, for: '1m' }],
      analysis: { errorRate: { max: '1%' } },
    };
    const plain = analyze({
      routes: [route('resnet', { ...two, rollout })],
      endpoints: [ep('resnet', 'v1')],
    });
    expect(plain).toEqual([
      {
        severity: 'error',
        check: 'rollout-candidate-not-placed',
        policy: 'default/resnet',
        path: 'spec.rollout.candidate',
        message: "the rollout's candidate v2 has no healthy endpoint: its first step would fail",
        fix: 'start pods serving resnet v2 before starting the rollout',
      },
    ]);
    const registry = route('resnet', {
      model: 'resnet',
      versions: [
        { name: 'v1', weight: 90 },
        { name: 'v2', weight: 10, model: { registry: 'resnet:2' } },
      ],
      rollout,
    });
    const [f, ...rest] = analyze({ routes: [registry], endpoints: [ep('resnet', 'v1')] });
    expect(rest).toEqual([]);
    expect(f!.message).toBe(
      "the rollout's candidate v2 has no healthy endpoint (its registry version is not placed on any pod yet): its first step would fail",
    );
    expect(f!.fix).toBe(
      'check switchyard models describe and the placement (GET /api/v1/placement): the version needs a stage that may be placed and a managed pod with room',
    );
    expect(
      analyze({
        routes: [route('resnet', { ...two, rollout })],
        endpoints: [ep('resnet', 'v1'), ep('resnet', 'v2')],
      }),
    ).toEqual([]);
  });

  it('orders findings by policy, then by path', () => {
    const strict = (name: string) =>
      route(name, { ...two, model: name, mtls: 'STRICT', residency: { regions: ['x'] } });
    const eps = ['m-b', 'm-a'].flatMap((m) => [ep(m, 'v1', { tls: false }), ep(m, 'v2', { tls: false })]);
    const out = analyze({ routes: [strict('m-b'), strict('m-a')], endpoints: eps });
    expect(out.map((f) => `${f.policy} ${f.path}`)).toEqual([
      'default/m-a spec.residency.regions',
      'default/m-a spec.versions[0]',
      'default/m-a spec.versions[1]',
      'default/m-b spec.residency.regions',
      'default/m-b spec.versions[0]',
      'default/m-b spec.versions[1]',
    ]);
  });

  it('checks only the owner of a model claimed twice against the endpoints', () => {
    const out = analyze({
      routes: [route('b', { ...two, mtls: 'STRICT' }), route('a', two)],
      endpoints: [ep('resnet', 'v1', { tls: false }), ep('resnet', 'v2')],
    });
    expect(out.map((f) => [f.check, f.policy])).toEqual([['model-claimed-twice', 'default/b']]);
  });
});

describe('analyze, rows that are not endpoints', () => {
  it('does not take a placeholder row for a pod without TLS', () => {
    const r = route('resnet', { ...two, mtls: 'STRICT' });
    const placeholder = { ...ep('resnet', 'v2'), empty: true as const, tls: undefined, health: 'UNKNOWN' };
    expect(analyze({ routes: [r], endpoints: [ep('resnet', 'v1'), placeholder] })).toEqual([]);
  });

  it('says nothing of residency when no endpoint is usable at all (the weights finding says it)', () => {
    const r = route('resnet', { ...two, residency: { regions: ['eu-west'] } });
    expect(analyze({ routes: [r], endpoints: [] }).map((f) => f.check)).toEqual(['weights-all-zero']);
  });

  it('leaves a rollout candidate the policy does not list to the policy checks', () => {
    const r = route('resnet', two);
    const stale = {
      ...r,
      spec: { ...r.spec, rollout: { candidate: 'v9', steps: [{ weight: 5, for: '1s' }] } },
    } as unknown as ModelRoute;
    expect(analyze({ routes: [stale], endpoints: [ep('resnet', 'v1'), ep('resnet', 'v2')] })).toEqual([]);
  });
});
