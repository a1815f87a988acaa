// `switchyard analyze`: checks across policies and against what the fleet has, the problems that
// each document alone cannot show (docs/OPERATIONS.md, "Analyze"). Pure: the command gathers the
// policies (files and the live store), the endpoint listing and the placement, then calls this.
// Each finding names the policy, the path in it, what is wrong and how to fix it.

import { policyId, resolveOwners } from './policy-set.js';
import { registryRefOf } from './registry-ref.js';
import type { ModelRoute } from './types.js';

export type Severity = 'error' | 'warning';

export interface Finding {
  readonly severity: Severity;
  /** Stable name of the check, e.g. `model-claimed-twice`. */
  readonly check: string;
  /** `namespace/name` of the policy. */
  readonly policy: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/** One endpoint as the admin API lists it (GET /api/v1/endpoints). */
export interface EndpointFact {
  readonly model: string;
  readonly version: string;
  readonly address: string;
  readonly port: number;
  readonly region?: string;
  readonly health: string;
  /** The pod accepts mTLS. Static endpoints do not say. */
  readonly tls?: boolean;
  readonly source: 'static' | 'discovered';
  readonly podId?: string;
  /** The listing's placeholder row for a version without endpoints. */
  readonly empty?: true;
}

export interface AnalyzeInput {
  readonly routes: readonly ModelRoute[];
  /** The live endpoint listing; absent (offline), the checks that need it are skipped. */
  readonly endpoints?: readonly EndpointFact[];
}

/** Endpoints clients may use: gRPC uses only HEALTHY and UNKNOWN ones (docs/ENDPOINTS.md). */
function usable(e: EndpointFact): boolean {
  return !e.empty && (e.health === 'HEALTHY' || e.health === 'UNKNOWN');
}

function byVersion(endpoints: readonly EndpointFact[]): Map<string, EndpointFact[]> {
  const out = new Map<string, EndpointFact[]>();
  for (const e of endpoints) {
    if (e.empty) continue;
    const key = `${e.model}\u0000${e.version}`;
    out.set(key, [...(out.get(key) ?? []), e]);
  }
  return out;
}

function conflicts(routes: readonly ModelRoute[]): Finding[] {
  return resolveOwners(routes).conflicts.map((c) => ({
    severity: 'error',
    check: 'model-claimed-twice',
    policy: c.policy,
    path: 'spec.model',
    message: `model ${c.model} is already routed by ${c.owner}; this policy would not be served`,
    fix: `move its versions into ${c.owner}, or delete one of the two policies`,
  }));
}

function endpointChecks(r: ModelRoute, eps: Map<string, EndpointFact[]>): Finding[] {
  const out: Finding[] = [];
  const policy = policyId(r);
  const { spec } = r;
  const of = (version: string) => eps.get(`${spec.model}\u0000${version}`) ?? [];
  const index = new Map(spec.versions.map((v, i) => [v.name, i]));
  spec.match.forEach((m, i) => {
    if (!index.has(m.version))
      out.push({
        severity: 'error',
        check: 'match-missing-version',
        policy,
        path: `spec.match[${i}].version`,
        message: `pins requests to version ${m.version}, which the policy does not list`,
        fix: `add version ${m.version} to spec.versions, or pin the match to one of ${[...index.keys()].join(', ')}`,
      });
    else if (!of(m.version).some(usable))
      out.push({
        severity: 'error',
        check: 'match-version-without-endpoints',
        policy,
        path: `spec.match[${i}].version`,
        message: `pins requests to version ${m.version}, which has no healthy endpoint: matching requests fail`,
        fix: `start pods serving ${spec.model} ${m.version} (or place it: spec.versions[${index.get(m.version)}].model), or pin the match to a version that has endpoints`,
      });
  });
  const weighted = spec.versions.filter((v) => v.weight > 0);
  if (weighted.length > 0 && weighted.every((v) => !of(v.name).some(usable)))
    out.push({
      severity: 'error',
      check: 'weights-all-zero',
      policy,
      path: 'spec.versions',
      message: `every version with a weight above 0 (${weighted.map((v) => v.name).join(', ')}) has no healthy endpoint: the effective weights are all zero and requests fail`,
      fix: 'start or place pods for a weighted version, or move the weight to a version that has endpoints',
    });
  const regions = spec.residency?.regions;
  if (regions) {
    const all = spec.versions.flatMap((v) => of(v.name)).filter(usable);
    const inside = all.filter((e) => e.region !== undefined && regions.includes(e.region));
    if (all.length > 0 && inside.length === 0)
      out.push({
        severity: 'error',
        check: 'residency-no-eligible-endpoint',
        policy,
        path: 'spec.residency.regions',
        message: `no healthy endpoint lies in ${regions.join(', ')} (they are in ${[...new Set(all.map((e) => e.region ?? 'no region'))].join(', ')}): nothing may receive traffic`,
        fix: `run pods with --region in one of ${regions.join(', ')}, or widen spec.residency.regions`,
      });
  }
  if (spec.mtls === 'STRICT') {
    spec.versions.forEach((v, i) => {
      const plain = of(v.name).filter((e) => e.source === 'discovered' && e.tls !== true);
      if (plain.length)
        out.push({
          severity: 'error',
          check: 'mtls-strict-without-tls',
          policy,
          path: `spec.versions[${i}]`,
          message: `spec.mtls is STRICT but ${plain.length} pod(s) of ${v.name} do not serve TLS (${plain
            .slice(0, 3)
            .map((e) => e.podId ?? `${e.address}:${e.port}`)
            .join(', ')}): their connections fail`,
          fix: 'give those pods a workload certificate (docs/SECURITY.md), or set spec.mtls to PERMISSIVE until they have one',
        });
    });
  }
  const candidate = spec.rollout?.candidate;
  if (candidate !== undefined && index.has(candidate) && !of(candidate).some(usable)) {
    const v = spec.versions[index.get(candidate)!]!;
    out.push({
      severity: 'error',
      check: 'rollout-candidate-not-placed',
      policy,
      path: 'spec.rollout.candidate',
      message: `the rollout's candidate ${candidate} has no healthy endpoint${registryRefOf(v) ? ' (its registry version is not placed on any pod yet)' : ''}: its first step would fail`,
      fix: registryRefOf(v)
        ? `check switchyard models describe and the placement (GET /api/v1/placement): the version needs a stage that may be placed and a managed pod with room`
        : `start pods serving ${spec.model} ${candidate} before starting the rollout`,
    });
  }
  return out;
}

/** Every finding, errors first, then by policy and path. */
export function analyze(input: AnalyzeInput): Finding[] {
  const { routes: owners } = resolveOwners(input.routes);
  const out = conflicts(input.routes);
  if (input.endpoints) {
    const eps = byVersion(input.endpoints);
    for (const r of owners) out.push(...endpointChecks(r, eps));
  }
  const rank = (f: Finding) => (f.severity === 'error' ? 0 : 1);
  return out.sort(
    (a, b) => rank(a) - rank(b) || a.policy.localeCompare(b.policy) || a.path.localeCompare(b.path),
  );
}
