// Rules that span fields of one ModelRoute: weights, references between versions, match rules
// and mirrors, residency against static endpoints, option combinations. They run on the value
// the schema checker produced, so every field here already has its type and default.
import type { Issue } from '../../kernel/errors/index.js';
import { parseDurationNs } from '../../kernel/runtime/duration.js';
import { didYouMean } from './did-you-mean.js';
import { POLICY_LIMITS } from './limits.js';
import { checkRegistryVersions } from './registry-ref.js';
import { checkRolloutReferences } from './rollout.js';
import type { ModelRoute, ModelRouteSpec, VersionSpec } from './types.js';

// The schema checker has made these shapes; fields may be missing where the value was invalid.
type Loose<T> = {
  -readonly [K in keyof T]?: T[K] extends readonly (infer E)[]
    ? (Loose<E> | undefined)[]
    : T[K] extends object
      ? Loose<T[K]>
      : T[K];
};
type Version = Loose<VersionSpec>;
type Spec = Loose<ModelRouteSpec>;

function checkVersions(versions: (Version | undefined)[], out: Issue[]): Set<string> {
  const names = new Set<string>();
  versions.forEach((v, i) => {
    if (v?.name === undefined) return;
    if (names.has(v.name))
      out.push({ path: `spec.versions[${i}].name`, message: `duplicate version ${JSON.stringify(v.name)}` });
    names.add(v.name);
  });
  if (versions.length > 1) {
    versions.forEach((v, i) => {
      if (v && v.weight === undefined && !out.some((x) => x.path.startsWith(`spec.versions[${i}].weight`)))
        out.push({
          path: `spec.versions[${i}].weight`,
          message: 'is required when there is more than one version',
        });
    });
  } else if (versions[0] && versions[0].weight === undefined) {
    versions[0].weight = 100;
  }
  const weights = versions.map((v) => v?.weight);
  if (
    weights.length > 0 &&
    weights.every((w) => typeof w === 'number') &&
    weights.reduce((a, b) => a! + b!, 0) === 0
  ) {
    out.push({
      path: 'spec.versions',
      message: 'weights sum to 0; at least one version needs a weight above 0',
    });
  }
  return names;
}

function checkReference(name: unknown, known: Set<string>, path: string, out: Issue[]) {
  if (typeof name !== 'string' || known.size === 0 || known.has(name)) return;
  out.push({
    path,
    message: `unknown version ${JSON.stringify(name)}${didYouMean(name, known)} (versions: ${[...known].join(', ')})`,
  });
}

function checkEndpoints(spec: Spec, out: Issue[]) {
  // An empty or invalid list is reported by the schema; checking against it would only echo.
  const listed = spec.residency?.regions as string[] | undefined;
  const regions = listed && listed.length > 0 ? listed : undefined;
  const pref: string | undefined = spec.backendPreference;
  const versions = spec.versions as (Version | undefined)[] | undefined;
  const total = versions?.reduce((n, v) => n + (v?.endpoints?.length ?? 0), 0) ?? 0;
  if (total > POLICY_LIMITS.endpoints)
    out.push({
      path: 'spec.versions',
      message: `has ${total} static endpoints in all; at most ${POLICY_LIMITS.endpoints} are allowed per policy`,
    });
  versions?.forEach((v, i) => {
    const seen = new Set<string>();
    v?.endpoints?.forEach((e, j) => {
      if (!e) return;
      const path = `spec.versions[${i}].endpoints[${j}]`;
      const key = `${e.address}:${e.port}`;
      if (seen.has(key)) out.push({ path, message: `duplicate endpoint ${key}` });
      seen.add(key);
      if (regions && e.region === undefined)
        out.push({
          path: `${path}.region`,
          message: `is required by residency (regions: ${regions.join(', ')})`,
        });
      else if (regions && e.region !== undefined && !regions.includes(e.region))
        out.push({
          path: `${path}.region`,
          message: `${JSON.stringify(e.region)} is outside residency regions ${regions.join(', ')}`,
        });
      if ((pref === 'gpu' || pref === 'cpu') && e.backend !== pref)
        out.push({
          path: `${path}.backend`,
          message: `must be ${JSON.stringify(pref)}: backendPreference ${pref} never routes to ${e.backend ?? 'an unlabeled'} endpoint`,
        });
    });
  });
}

function checkDurations(spec: Spec, out: Issue[]) {
  const ns = (v: unknown) => (typeof v === 'string' ? parseDurationNs(v) : undefined);
  const od = spec.outlierDetection;
  if (od) {
    const detectors = [
      'consecutive5xx',
      'consecutiveGatewayFailure',
      'successRateStdevFactor',
      'failurePercentageThreshold',
    ] as const;
    if (!detectors.some((d) => od[d] !== undefined))
      out.push({ path: 'spec.outlierDetection', message: `enable at least one of ${detectors.join(', ')}` });
    const base = ns(od.baseEjectionTime);
    const max = ns(od.maxEjectionTime);
    if (base !== undefined && max !== undefined && max < base)
      out.push({
        path: 'spec.outlierDetection.maxEjectionTime',
        message: 'must not be shorter than baseEjectionTime',
      });
  }
  const r = spec.retries;
  const base = ns(r?.backoff?.baseInterval);
  const max = ns(r?.backoff?.maxInterval);
  if (base !== undefined && max !== undefined && max < base)
    out.push({ path: 'spec.retries.backoff.maxInterval', message: 'must not be shorter than baseInterval' });
  const perTry = ns(r?.perTryTimeout);
  const total = ns(spec.timeout);
  if (perTry !== undefined && total !== undefined && total > 0 && perTry > total)
    out.push({
      path: 'spec.retries.perTryTimeout',
      message: `must not be longer than spec.timeout (${spec.timeout})`,
    });
}

/**
 * Cross-field checks on a schema-checked document; fills the defaults that depend on other
 * fields (a lone version's weight, lbPolicy). Returns the route when no issue was found.
 */
export function applyRules(doc: Record<string, unknown>, out: Issue[]): ModelRoute | undefined {
  const before = out.length;
  const spec = doc.spec as Spec | undefined;
  if (spec) {
    const names = Array.isArray(spec.versions) ? checkVersions(spec.versions, out) : new Set<string>();
    (spec.match as ({ version?: string } | undefined)[] | undefined)?.forEach((m, i) => {
      checkReference(m?.version, names, `spec.match[${i}].version`, out);
    });
    if (spec.mirror) checkReference(spec.mirror.version, names, 'spec.mirror.version', out);
    if (Array.isArray(spec.versions)) checkRolloutReferences(spec.rollout, spec.versions, out);
    if (spec.sticky && spec.lbPolicy !== undefined && spec.lbPolicy !== 'RING_HASH')
      out.push({
        path: 'spec.lbPolicy',
        message: 'sticky routing hashes a header: it needs RING_HASH (or leave lbPolicy unset)',
      });
    spec.lbPolicy ??= spec.sticky ? 'RING_HASH' : 'ROUND_ROBIN';
    const proxyless = spec.proxylessBalancing as { mode?: string } | undefined;
    if ((proxyless?.mode === 'orca' || proxyless?.mode === 'least-load') && spec.lbPolicy === 'RING_HASH')
      out.push({
        path: 'spec.proxylessBalancing.mode',
        message: `${proxyless.mode} balances by load and cannot keep a hash: it needs lbPolicy other than RING_HASH (and no sticky)`,
      });
    checkEndpoints(spec, out);
    checkRegistryVersions(spec.versions as Parameters<typeof checkRegistryVersions>[0], out);
    checkDurations(spec, out);
    // Envoy ignores circuit_breakers max_retries when a retry_budget is set
    // (cluster.v3.CircuitBreakers.Thresholds.retry_budget), so one of them would be a dead letter.
    if (spec.retries?.budget && spec.circuitBreakers?.maxRetries !== undefined)
      out.push({
        path: 'spec.circuitBreakers.maxRetries',
        message:
          'cannot be combined with spec.retries.budget: Envoy then ignores maxRetries; keep the budget (a share of active requests) or the fixed limit',
      });
  }
  return out.length === before ? (doc as unknown as ModelRoute) : undefined;
}
