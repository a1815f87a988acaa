// `spec.access`: who may call a model's inference endpoints, and how often. Parsed and checked
// here (shape, bounds, key material); enforced at the Envoy gateway and again at the pods, so
// that neither alone is trusted. docs/ACCESS.md is the reference for each field and its meaning.
import {
  type AccessRules as AccessSpec,
  ACCESS_JWT_ALGORITHMS as JWT_ALGORITHMS,
  type AccessRate as RateLimit,
} from '../../kernel/contract/access-rules.js';
import type { Issue } from '../../kernel/errors/index.js';
import { checkObject, type Field, isPlainObject, joinPath, type Schema } from './schema.js';

// The shape is the one the pods receive (kernel/contract/access-rules.ts): one definition, so the
// parser and both enforcers cannot drift apart.
export {
  ACCESS_JWT_ALGORITHMS as JWT_ALGORITHMS,
  type AccessJwt as JwtRule,
  type AccessJwtAlgorithm as JwtAlgorithm,
  type AccessRate as RateLimit,
  type AccessRules as AccessSpec,
} from '../../kernel/contract/access-rules.js';

/** One `spec.access.apiKeys` entry: the key's lower-case hex SHA-256 and its tenant. */
export type ApiKeyRule = NonNullable<AccessSpec['apiKeys']>[number];

export const ACCESS_LIMITS = { identities: 64, apiKeys: 1000, jwksKeys: 20, tenants: 1000 } as const;

const f = (schema: Schema, extra: Omit<Field, 'schema'> = {}): Field => ({ schema, ...extra });
const TENANT = {
  kind: 'string',
  pattern: /^[A-Za-z0-9]([A-Za-z0-9._:@/-]*[A-Za-z0-9])?$/,
  hint: 'a tenant name (letters, digits and ".", "_", ":", "@", "/", "-")',
  maxLength: 253,
} as const;
const SPIFFE = {
  kind: 'string',
  pattern: /^spiffe:\/\/[a-z0-9.-]+(\/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)*(\/\*)?$/,
  hint: 'a SPIFFE ID (spiffe://trust-domain/path), optionally ending in /* for a prefix',
  maxLength: 2048,
} as const;
const RATE: Schema = {
  kind: 'object',
  fields: {
    rps: f({ kind: 'number', above: 0, max: 1_000_000 }, { required: true }),
    burst: f({ kind: 'int', min: 1, max: 10_000_000 }),
  },
};

function checkJwks(value: unknown, path: string, out: Issue[]): unknown {
  const doc = checkObject(
    { uri: f({ kind: 'string', maxLength: 2048 }), inline: f({ kind: 'custom', check: checkInline }) },
    value,
    path,
    out,
  );
  if (!doc || !isPlainObject(value)) return undefined;
  if ((value.uri === undefined) === (value.inline === undefined)) {
    out.push({ path, message: 'must set exactly one of uri and inline' });
    return undefined;
  }
  if (doc.inline === undefined && doc.uri === undefined) return undefined;
  if (typeof doc.uri === 'string') {
    let url: URL | undefined;
    try {
      url = new URL(doc.uri);
    } catch {
      out.push({ path: joinPath(path, 'uri'), message: `${JSON.stringify(doc.uri)} is not a URL` });
      return undefined;
    }
    // Keys fetched in the clear could be swapped by anyone on the path; loopback is for tests.
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      out.push({
        path: joinPath(path, 'uri'),
        message: 'must be an https:// URL (http:// only on loopback)',
      });
      return undefined;
    }
  }
  return doc;
}

/** A JWKS document (object or JSON text) of public keys only. */
function checkInline(value: unknown, path: string, out: Issue[]): unknown {
  let doc = value;
  if (typeof value === 'string') {
    try {
      doc = JSON.parse(value);
    } catch {
      out.push({ path, message: 'is not a JSON Web Key Set (JSON text or a mapping with keys)' });
      return undefined;
    }
  }
  if (!isPlainObject(doc) || !Array.isArray(doc.keys) || doc.keys.length === 0) {
    out.push({ path, message: 'must be a JSON Web Key Set with at least one key in keys' });
    return undefined;
  }
  if (doc.keys.length > ACCESS_LIMITS.jwksKeys) {
    out.push({
      path: joinPath(path, 'keys'),
      message: `has ${doc.keys.length} keys; at most ${ACCESS_LIMITS.jwksKeys}`,
    });
    return undefined;
  }
  let ok = true;
  doc.keys.forEach((k, i) => {
    const p = joinPath(joinPath(path, 'keys'), i);
    if (!isPlainObject(k) || typeof k.kty !== 'string') {
      out.push({ path: p, message: 'must be a JSON Web Key with kty' });
      ok = false;
    } else if (k.kty === 'oct') {
      out.push({ path: p, message: 'is a symmetric key (kty oct); only public keys may be distributed' });
      ok = false;
    } else if ('d' in k || 'p' in k || 'q' in k) {
      out.push({ path: p, message: 'contains private key material; publish only the public key' });
      ok = false;
    }
  });
  return ok ? { keys: doc.keys } : undefined;
}

const JWT_FIELDS: Record<string, Field> = {
  issuer: f({ kind: 'string', maxLength: 2048 }, { required: true }),
  audiences: f(
    { kind: 'list', items: { kind: 'string', maxLength: 512 }, minItems: 1, maxItems: 32, unique: true },
    { required: true },
  ),
  jwks: f({ kind: 'custom', check: checkJwks }, { required: true }),
  algorithms: f(
    {
      kind: 'list',
      items: { kind: 'string', oneOf: JWT_ALGORITHMS },
      minItems: 1,
      maxItems: JWT_ALGORITHMS.length,
      unique: true,
    },
    { default: ['RS256', 'ES256'] },
  ),
  requiredClaims: f(
    {
      kind: 'map',
      key: { kind: 'string', maxLength: 128 },
      values: { kind: 'string', maxLength: 1024 },
      maxEntries: 32,
    },
    { default: {} },
  ),
  scopes: f(
    {
      kind: 'list',
      items: { kind: 'string', pattern: /^\S+$/, hint: 'a scope without spaces', maxLength: 256 },
      maxItems: 32,
      unique: true,
    },
    { default: [] },
  ),
  tenantClaim: f({ kind: 'string', maxLength: 128 }, { default: 'sub' }),
  clockSkew: f({ kind: 'duration' }, { default: '30s' }),
};

const API_KEY: Schema = {
  kind: 'object',
  fields: {
    sha256: f(
      {
        kind: 'string',
        pattern: /^[0-9a-f]{64}$/,
        hint: 'the lower-case hex SHA-256 of the key (64 characters)',
      },
      { required: true },
    ),
    tenant: f(TENANT, { required: true }),
    name: f({ kind: 'string', maxLength: 128 }),
  },
};

const ACCESS_FIELDS: Record<string, Field> = {
  identities: f({
    kind: 'list',
    items: SPIFFE,
    minItems: 1,
    maxItems: ACCESS_LIMITS.identities,
    unique: true,
  }),
  jwt: f({ kind: 'object', fields: JWT_FIELDS }),
  apiKeys: f({ kind: 'list', items: API_KEY, minItems: 1, maxItems: ACCESS_LIMITS.apiKeys }),
  rateLimit: f({
    kind: 'object',
    fields: {
      model: f(RATE),
      perTenant: f(RATE),
      tenants: f({
        kind: 'map',
        key: TENANT,
        values: RATE,
        minEntries: 1,
        maxEntries: ACCESS_LIMITS.tenants,
      }),
    },
  }),
};

/** For the CRD and JSON Schema generators: the fields without the cross-field rules. */
export const ACCESS_SHAPE: Schema = { kind: 'object', fields: ACCESS_FIELDS };

/** Burst defaults to one second of the sustained rate (at least 1). */
function fillBurst(rate: Record<string, unknown> | undefined): void {
  if (rate && typeof rate.rps === 'number' && rate.burst === undefined)
    rate.burst = Math.max(1, Math.ceil(rate.rps));
}

/** The schema's custom check for `spec.access`. */
export function checkAccess(value: unknown, path: string, out: Issue[]): AccessSpec | undefined {
  const doc = checkObject(ACCESS_FIELDS, value, path, out);
  if (!doc) return undefined;
  if (
    doc.identities === undefined &&
    doc.jwt === undefined &&
    doc.apiKeys === undefined &&
    doc.rateLimit === undefined
  )
    out.push({
      path,
      message: 'sets nothing; give identities, jwt, apiKeys and/or rateLimit (or leave access out)',
    });
  const keys = Array.isArray(doc.apiKeys) ? (doc.apiKeys as (Record<string, unknown> | undefined)[]) : [];
  const seen = new Map<string, number>();
  keys.forEach((k, i) => {
    if (typeof k?.sha256 !== 'string') return;
    const first = seen.get(k.sha256);
    if (first !== undefined)
      out.push({
        path: joinPath(joinPath(path, 'apiKeys'), i),
        message: `repeats the key of apiKeys[${first}]`,
      });
    else seen.set(k.sha256, i);
  });
  const rl = doc.rateLimit as Record<string, unknown> | undefined;
  if (rl) {
    if (rl.model === undefined && rl.perTenant === undefined && rl.tenants === undefined)
      out.push({
        path: joinPath(path, 'rateLimit'),
        message: 'sets no limit; give model, perTenant and/or tenants',
      });
    fillBurst(rl.model as Record<string, unknown> | undefined);
    fillBurst(rl.perTenant as Record<string, unknown> | undefined);
    for (const t of Object.values((rl.tenants as Record<string, Record<string, unknown>> | undefined) ?? {}))
      fillBurst(t);
  }
  return doc as unknown as AccessSpec;
}

/** True when `id` is allowed by `rules` (exact, or under a `/*` prefix at a path boundary). */
export function identityAllowed(id: string, rules: readonly string[]): boolean {
  return rules.some((r) => (r.endsWith('/*') ? id.startsWith(r.slice(0, -1)) : id === r));
}

/** The limit that applies to one tenant: its own entry, else the per-tenant default. */
export function tenantLimit(access: AccessSpec, tenant: string): RateLimit | undefined {
  const t = access.rateLimit?.tenants;
  return (t && Object.hasOwn(t, tenant) ? t[tenant] : undefined) ?? access.rateLimit?.perTenant;
}
