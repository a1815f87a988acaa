// The ModelRoute document, field by field: types, bounds and defaults. Cross-field rules
// (weights, version references, residency) live in rules.ts. docs/TRANSLATION.md mirrors this.
import { isIP } from 'node:net';
import type { Issue } from '../../kernel/errors/index.js';
import { ACCESS_SHAPE, checkAccess } from './access.js';
import { POLICY_LIMITS } from './limits.js';
import { re2Problem } from './re2.js';
import { unsupportedConstruct, unsupportedMessage } from './re2-unsupported.js';
import { REGISTRY_VERSION_FIELDS } from './registry-ref.js';
import { checkRollout, ROLLOUT_SHAPE } from './rollout.js';
import { type Field, isPlainObject, type Schema, type StringSchema } from './schema.js';
import { RETRY_ON } from './types.js';

const NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;
const NAME_HINT =
  "a name of lower-case letters, digits, '.', '_' and '-' that starts and ends with a letter or digit";

export const MODEL_NAME: StringSchema = { kind: 'string', pattern: NAME, hint: NAME_HINT, maxLength: 200 };
const VERSION_NAME: StringSchema = { kind: 'string', pattern: NAME, hint: NAME_HINT, maxLength: 63 };
// Typed as written, not as a StringSchema: object-name.ts reads its pattern, bound and hint.
export const DNS_NAME = {
  kind: 'string',
  pattern: /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/,
  hint: 'a DNS-1123 name (lower-case letters, digits, "." and "-")',
  maxLength: 253,
} satisfies StringSchema;
export const HEADER_NAME: StringSchema = {
  kind: 'string',
  pattern: /^[a-z0-9!#$%&'*+.^_`|~-]+$/,
  hint: 'a lower-case HTTP header name',
  maxLength: 128,
};
const LOCALITY: StringSchema = {
  kind: 'string',
  pattern: /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
  hint: 'a region or zone name (letters, digits, ".", "_" and "-")',
  maxLength: 63,
};
const PERCENT: Schema = { kind: 'number', min: 0, max: 100 };
const UINT32: Schema = { kind: 'int', min: 0, max: 0xffff_ffff };
const COUNT: Schema = { kind: 'int', min: 1, max: 0xffff_ffff };

// A pattern must compile in JavaScript (grpc-js-xds matches safe_regex with RegExp) and in real
// RE2 within Envoy's program-size limit (re2.ts). Look-around and back-references get their
// own message, naming the construct and where it is (re2-unsupported.ts).
function checkRegex(value: unknown, path: string, out: Issue[]): string | undefined {
  if (typeof value !== 'string' || value.length === 0) {
    out.push({ path, message: 'must be a non-empty regular expression' });
    return undefined;
  }
  try {
    new RegExp(value, 'u');
  } catch (err) {
    out.push({ path, message: `is not a valid regular expression: ${(err as Error).message}` });
    return undefined;
  }
  const unsupported = unsupportedConstruct(value);
  if (unsupported) {
    out.push({ path, message: unsupportedMessage(unsupported) });
    return undefined;
  }
  const re2 = re2Problem(value);
  if (re2) {
    out.push({ path, message: re2 });
    return undefined;
  }
  return value;
}

const MATCH_KINDS = ['exact', 'prefix', 'regex', 'present'] as const;

/** What checkHeaderMatch accepts, for the JSON Schema: a string, or exactly one match kind. */
const HEADER_MATCH_JSON = {
  oneOf: [
    { type: 'string' },
    {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: false,
      properties: {
        exact: { type: 'string' },
        prefix: { type: 'string', minLength: 1 },
        regex: { type: 'string', minLength: 1 },
        present: { type: 'boolean' },
      },
    },
  ],
};

/** A header condition: a bare string means exact; else exactly one of exact/prefix/regex/present. */
function checkHeaderMatch(value: unknown, path: string, out: Issue[]): unknown {
  if (typeof value === 'string') return { exact: value };
  if (!isPlainObject(value)) {
    out.push({ path, message: 'must be a string (exact match) or one of {exact|prefix|regex|present}' });
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || !MATCH_KINDS.includes(keys[0] as (typeof MATCH_KINDS)[number])) {
    const unknown = keys.filter((k) => !MATCH_KINDS.includes(k as (typeof MATCH_KINDS)[number]));
    const extra = unknown.length ? ` (unknown: ${unknown.join(', ')})` : '';
    out.push({ path, message: `must set exactly one of exact, prefix, regex, present${extra}` });
    return undefined;
  }
  const kind = keys[0] as (typeof MATCH_KINDS)[number];
  const v = value[kind];
  const p = `${path}.${kind}`;
  switch (kind) {
    case 'regex': {
      const r = checkRegex(v, p, out);
      return r === undefined ? undefined : { regex: r };
    }
    case 'present':
      if (typeof v !== 'boolean') {
        out.push({ path: p, message: 'must be true or false' });
        return undefined;
      }
      return { present: v };
    default:
      if (typeof v !== 'string' || (kind === 'prefix' && v.length === 0)) {
        out.push({ path: p, message: kind === 'prefix' ? 'must be a non-empty string' : 'must be a string' });
        return undefined;
      }
      return { [kind]: v };
  }
}

function checkAddress(value: unknown, path: string, out: Issue[]): string | undefined {
  // gRPC's EDS validator accepts only IP literals (no host names), so the policy does too.
  if (typeof value !== 'string' || isIP(value) === 0) {
    out.push({ path, message: `${JSON.stringify(value)} is not an IPv4 or IPv6 address` });
    return undefined;
  }
  return value;
}

const f = (schema: Schema, extra: Omit<Field, 'schema'> = {}): Field => ({ schema, ...extra });

const STATIC_ENDPOINT: Schema = {
  kind: 'object',
  fields: {
    address: f(
      {
        kind: 'custom',
        check: checkAddress,
        json: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
      },
      { required: true },
    ),
    port: f({ kind: 'int', min: 1, max: 65535 }, { required: true }),
    httpPort: f({ kind: 'int', min: 1, max: 65535 }),
    region: f(LOCALITY),
    zone: f(LOCALITY),
    weight: f({ kind: 'int', min: 1, max: 1_000_000 }),
    backend: f({ kind: 'string', oneOf: ['gpu', 'cpu'] }),
  },
};

const VERSION: Schema = {
  kind: 'object',
  fields: {
    name: f(VERSION_NAME, { required: true }),
    // Required when there is more than one version (rules.ts); a lone version gets 100.
    weight: f({ kind: 'int', min: 0, max: 1_000_000 }),
    endpoints: f({ kind: 'list', items: STATIC_ENDPOINT, maxItems: POLICY_LIMITS.endpointsPerVersion }),
    ...REGISTRY_VERSION_FIELDS,
  },
};

const MATCH_RULE: Schema = {
  kind: 'object',
  fields: {
    headers: f(
      {
        kind: 'map',
        key: HEADER_NAME,
        values: { kind: 'custom', check: checkHeaderMatch, json: HEADER_MATCH_JSON },
        minEntries: 1,
        maxEntries: POLICY_LIMITS.headersPerMatch,
      },
      { required: true },
    ),
    version: f(VERSION_NAME, { required: true }),
  },
};

const RETRIES: Schema = {
  kind: 'object',
  fields: {
    attempts: f({ kind: 'int', min: 0, max: 10 }, { default: 2 }),
    on: f(
      { kind: 'list', items: { kind: 'string', oneOf: RETRY_ON }, minItems: 1, unique: true },
      { default: ['connect-failure', 'refused-stream', 'unavailable'] },
    ),
    perTryTimeout: f({ kind: 'duration', positive: true }),
    backoff: f({
      kind: 'object',
      fields: {
        baseInterval: f({ kind: 'duration', positive: true }, { required: true }),
        maxInterval: f({ kind: 'duration', positive: true }),
      },
    }),
    budget: f({
      kind: 'object',
      fields: { percent: f(PERCENT, { default: 20 }), minConcurrency: f(COUNT, { default: 3 }) },
    }),
  },
};

const OUTLIER_DETECTION: Schema = {
  kind: 'object',
  fields: {
    consecutive5xx: f(COUNT),
    consecutiveGatewayFailure: f(COUNT),
    successRateStdevFactor: f({ kind: 'number', above: 0, max: 100 }),
    successRateMinimumHosts: f(COUNT, { default: 5 }),
    successRateRequestVolume: f(COUNT, { default: 100 }),
    failurePercentageThreshold: f({ kind: 'int', min: 0, max: 100 }),
    // Model pools are small: Envoy's default of 5 hosts would switch the detector off for them.
    failurePercentageMinimumHosts: f(COUNT, { default: 2 }),
    failurePercentageRequestVolume: f(COUNT, { default: 50 }),
    interval: f({ kind: 'duration', positive: true }, { default: '10s' }),
    baseEjectionTime: f({ kind: 'duration', positive: true }, { default: '30s' }),
    maxEjectionTime: f({ kind: 'duration', positive: true }, { default: '300s' }),
    maxEjectionPercent: f({ kind: 'int', min: 0, max: 100 }, { default: 10 }),
  },
};

const CIRCUIT_BREAKERS: Schema = {
  kind: 'object',
  fields: {
    maxConnections: f(UINT32),
    maxRequests: f(UINT32),
    maxPendingRequests: f(UINT32),
    maxRetries: f(UINT32),
  },
};

// The defaults are docs/ENDPOINTS.md's measured choice: tuned weights, because grpc-js-xds
// honours client_side_weighted_round_robin only behind GRPC_EXPERIMENTAL_XDS_WRR_LB=true.
const PROXYLESS_BALANCING: Schema = {
  kind: 'object',
  fields: {
    mode: f({ kind: 'string', oneOf: ['weights', 'orca', 'least-load'] }, { default: 'weights' }),
    reportPeriod: f({ kind: 'duration', positive: true }, { default: '250ms' }),
    blackoutPeriod: f({ kind: 'duration' }, { default: '1s' }),
    weightExpiration: f({ kind: 'duration', positive: true }, { default: '3m' }),
    weightUpdatePeriod: f({ kind: 'duration', positive: true }, { default: '250ms' }),
    errorUtilizationPenalty: f({ kind: 'number', min: 0, max: 100 }, { default: 1 }),
  },
};

const SPEC: Schema = {
  kind: 'object',
  fields: {
    model: f(MODEL_NAME, { required: true }),
    versions: f(
      { kind: 'list', items: VERSION, minItems: 1, maxItems: POLICY_LIMITS.versions },
      { required: true },
    ),
    match: f({ kind: 'list', items: MATCH_RULE, maxItems: POLICY_LIMITS.matchRules }, { default: [] }),
    sticky: f({ kind: 'object', fields: { header: f(HEADER_NAME, { required: true }) } }),
    mirror: f({
      kind: 'object',
      fields: {
        version: f(VERSION_NAME, { required: true }),
        percent: f({ kind: 'number', above: 0, max: 100 }, { default: 100 }),
      },
    }),
    timeout: f({ kind: 'duration' }, { default: '30s' }),
    retries: f(RETRIES, {
      default: { attempts: 2, on: ['connect-failure', 'refused-stream', 'unavailable'] },
    }),
    outlierDetection: f(OUTLIER_DETECTION),
    circuitBreakers: f(CIRCUIT_BREAKERS),
    lbPolicy: f({ kind: 'string', oneOf: ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM'] }),
    proxylessBalancing: f(PROXYLESS_BALANCING),
    http2: f({ kind: 'bool' }, { default: true }),
    mtls: f({ kind: 'string', oneOf: ['STRICT', 'PERMISSIVE', 'DISABLE'] }, { default: 'PERMISSIVE' }),
    residency: f({
      kind: 'object',
      fields: {
        regions: f(
          { kind: 'list', items: LOCALITY, minItems: 1, maxItems: POLICY_LIMITS.regions, unique: true },
          { required: true },
        ),
      },
    }),
    backendPreference: f(
      { kind: 'string', oneOf: ['any', 'gpu', 'cpu', 'gpu-overflow-cpu'] },
      { default: 'any' },
    ),
    latencyObjective: f({ kind: 'duration', positive: true }),
    rollout: f({ kind: 'custom', check: checkRollout, shape: ROLLOUT_SHAPE }),
    access: f({ kind: 'custom', check: checkAccess, shape: ACCESS_SHAPE }),
  },
};

/** The whole document. apiVersion and kind are checked before this (parse.ts). */
export const MODEL_ROUTE_FIELDS: Readonly<Record<string, Field>> = {
  apiVersion: f({ kind: 'string' }, { required: true }),
  kind: f({ kind: 'string' }, { required: true }),
  metadata: f(
    {
      kind: 'object',
      fields: { name: f(DNS_NAME, { required: true }), namespace: f(DNS_NAME, { default: 'default' }) },
    },
    { required: true },
  ),
  spec: f(SPEC, { required: true }),
};
