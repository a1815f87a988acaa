// The access rules the control plane sends each pod (docs/ACCESS.md, "At the pods"): every
// model's `spec.access`, as the policy checker left it (defaults filled in), on the control-plane-
// only subject switchyard.pod.<id>.access. JSON rather than protobuf: the shape is the policy's
// own (an inline JWKS is free-form JSON), and both ends already agree on it through these types.
// The pod checks what arrives again (a message it cannot trust must not open a model), and the
// same check reads a standalone pod's --access-file. Pure.
import type { Issue } from '../errors/index.js';
import { parseDurationNs } from '../runtime/duration.js';

/** Asymmetric JWS algorithms only: an HMAC secret cannot be handed to every pod safely. */
export const ACCESS_JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type AccessJwtAlgorithm = (typeof ACCESS_JWT_ALGORITHMS)[number];

export interface AccessRate {
  readonly rps: number;
  readonly burst: number;
}

export interface AccessJwt {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly jwks: { readonly uri: string } | { readonly inline: { readonly keys: readonly object[] } };
  readonly algorithms: readonly AccessJwtAlgorithm[];
  readonly requiredClaims: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  readonly tenantClaim: string;
  readonly clockSkew: string;
}

/** One model's rules: the same shape as the policy's AccessSpec (control-plane/policy/access.ts). */
export interface AccessRules {
  readonly identities?: readonly string[];
  readonly jwt?: AccessJwt;
  readonly apiKeys?: readonly { readonly sha256: string; readonly tenant: string; readonly name?: string }[];
  readonly rateLimit?: {
    readonly model?: AccessRate;
    readonly perTenant?: AccessRate;
    readonly tenants?: Readonly<Record<string, AccessRate>>;
  };
}

/** What a pod receives: the rules of every model that has any (a model not listed is open). */
export interface AccessRulesMessage {
  /** Content version (a hash), for logs and metrics: which rules a pod enforces. */
  readonly version: string;
  readonly models: Readonly<Record<string, AccessRules>>;
}

const MAX_BYTES = 4 * 1024 * 1024;

export function encodeAccessRules(msg: AccessRulesMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(msg));
}

/** The message, or the problems that make it unusable (the pod keeps its previous rules then). */
export function decodeAccessRules(body: Uint8Array): { msg?: AccessRulesMessage; issues: Issue[] } {
  const issues: Issue[] = [];
  if (body.byteLength > MAX_BYTES)
    return { issues: [{ path: '', message: `is ${body.byteLength} bytes; at most ${MAX_BYTES}` }] };
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { issues: [{ path: '', message: 'is not JSON' }] };
  }
  if (!isObject(doc) || typeof doc.version !== 'string' || !isObject(doc.models))
    return { issues: [{ path: '', message: 'must be {version, models}' }] };
  const models: Record<string, AccessRules> = {};
  for (const [model, rules] of Object.entries(doc.models)) {
    const checked = checkAccessRules(rules, `models.${model}`, issues);
    if (checked) models[model] = checked;
  }
  return issues.length ? { issues } : { msg: { version: doc.version, models }, issues };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, path: string, out: Issue[], min = 0): string[] | undefined {
  if (v === undefined && min === 0) return undefined;
  if (!Array.isArray(v) || v.length < min || !v.every((s) => typeof s === 'string' && s.length > 0)) {
    out.push({ path, message: `must be a list of strings${min ? ` (at least ${min})` : ''}` });
    return undefined;
  }
  return v as string[];
}

function rate(v: unknown, path: string, out: Issue[]): AccessRate | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || typeof v.rps !== 'number' || !(v.rps > 0) || !Number.isFinite(v.rps)) {
    out.push({ path, message: 'must be {rps > 0, burst}' });
    return undefined;
  }
  const burst = v.burst === undefined ? Math.max(1, Math.ceil(v.rps)) : v.burst;
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    out.push({ path: `${path}.burst`, message: 'must be a whole number >= 1' });
    return undefined;
  }
  return { rps: v.rps, burst };
}

function jwksOf(v: unknown, path: string, out: Issue[]): AccessJwt['jwks'] | undefined {
  if (isObject(v) && typeof v.uri === 'string' && v.inline === undefined) {
    const ok = /^https:\/\//.test(v.uri) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(v.uri);
    if (ok) return { uri: v.uri };
    out.push({ path: `${path}.uri`, message: 'must be an https:// URL (http:// only on loopback)' });
    return undefined;
  }
  const inline = isObject(v) ? (typeof v.inline === 'string' ? safeJson(v.inline) : v.inline) : undefined;
  if (isObject(v) && v.uri === undefined && isObject(inline) && Array.isArray(inline.keys)) {
    const keys = inline.keys as unknown[];
    // Only public asymmetric keys: a shared secret or a private key must never be a verifier.
    const bad = keys.findIndex(
      (k) => !isObject(k) || k.kty === 'oct' || 'd' in k || typeof k.kty !== 'string',
    );
    if (keys.length > 0 && bad < 0) return { inline: { keys: keys as object[] } };
    out.push({
      path: `${path}.inline`,
      message: 'must hold public keys only (no kty oct, no private members)',
    });
    return undefined;
  }
  out.push({ path, message: 'must set exactly one of uri and inline' });
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function jwtOf(v: unknown, path: string, out: Issue[]): AccessJwt | undefined {
  if (v === undefined) return undefined;
  const before = out.length;
  if (!isObject(v)) {
    out.push({ path, message: 'must be a mapping' });
    return undefined;
  }
  if (typeof v.issuer !== 'string' || !v.issuer) out.push({ path: `${path}.issuer`, message: 'is required' });
  const audiences = strings(v.audiences, `${path}.audiences`, out, 1);
  const jwks = jwksOf(v.jwks, `${path}.jwks`, out);
  // An empty list would refuse every token: the policy parser refuses it too (minItems 1).
  const algorithms = strings(v.algorithms, `${path}.algorithms`, out, v.algorithms === undefined ? 0 : 1) ?? [
    'RS256',
    'ES256',
  ];
  for (const a of algorithms)
    if (!(ACCESS_JWT_ALGORITHMS as readonly string[]).includes(a))
      out.push({ path: `${path}.algorithms`, message: `${JSON.stringify(a)} is not an allowed algorithm` });
  const claims = v.requiredClaims ?? {};
  if (!isObject(claims) || !Object.values(claims).every((c) => typeof c === 'string'))
    out.push({ path: `${path}.requiredClaims`, message: 'must map claim names to strings' });
  const scopes = strings(v.scopes, `${path}.scopes`, out) ?? [];
  const tenantClaim = v.tenantClaim ?? 'sub';
  const clockSkew = v.clockSkew ?? '30s';
  if (typeof tenantClaim !== 'string') out.push({ path: `${path}.tenantClaim`, message: 'must be a string' });
  if (typeof clockSkew !== 'string' || parseDurationNs(clockSkew) === undefined)
    out.push({ path: `${path}.clockSkew`, message: 'must be a duration such as 30s' });
  if (out.length > before || !audiences || !jwks) return undefined;
  return {
    issuer: v.issuer as string,
    audiences,
    jwks,
    algorithms: algorithms as AccessJwtAlgorithm[],
    requiredClaims: claims as Record<string, string>,
    scopes,
    tenantClaim: tenantClaim as string,
    clockSkew: clockSkew as string,
  };
}

/** One model's rules checked and completed with the policy's defaults; undefined when unusable. */
export function checkAccessRules(v: unknown, path: string, out: Issue[]): AccessRules | undefined {
  const before = out.length;
  if (!isObject(v)) {
    out.push({ path, message: 'must be a mapping' });
    return undefined;
  }
  const identities = strings(v.identities, `${path}.identities`, out, v.identities === undefined ? 0 : 1);
  for (const id of identities ?? [])
    if (!id.startsWith('spiffe://')) out.push({ path: `${path}.identities`, message: 'must be SPIFFE IDs' });
  const jwt = jwtOf(v.jwt, `${path}.jwt`, out);
  let apiKeys: { sha256: string; tenant: string; name?: string }[] | undefined;
  if (v.apiKeys !== undefined) {
    const list = Array.isArray(v.apiKeys) ? v.apiKeys : [];
    apiKeys = [];
    for (const [i, k] of list.entries()) {
      if (
        isObject(k) &&
        typeof k.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(k.sha256) &&
        typeof k.tenant === 'string'
      )
        apiKeys.push({
          sha256: k.sha256,
          tenant: k.tenant,
          ...(typeof k.name === 'string' ? { name: k.name } : {}),
        });
      else
        out.push({ path: `${path}.apiKeys[${i}]`, message: 'must be {sha256: 64 lower-case hex, tenant}' });
    }
    if (list.length === 0) out.push({ path: `${path}.apiKeys`, message: 'must be a non-empty list' });
  }
  let rateLimit: AccessRules['rateLimit'];
  if (v.rateLimit !== undefined) {
    // Read as "no limits", a malformed section would open the model to any rate.
    if (!isObject(v.rateLimit)) out.push({ path: `${path}.rateLimit`, message: 'must be a mapping' });
    const rl = isObject(v.rateLimit) ? v.rateLimit : {};
    const tenants: Record<string, AccessRate> = {};
    const t = rl.tenants;
    if (t !== undefined && !isObject(t))
      out.push({ path: `${path}.rateLimit.tenants`, message: 'must be a mapping' });
    for (const [name, r] of Object.entries(isObject(t) ? t : {})) {
      const checked = rate(r, `${path}.rateLimit.tenants.${name}`, out);
      if (checked) tenants[name] = checked;
    }
    const model = rate(rl.model, `${path}.rateLimit.model`, out);
    const perTenant = rate(rl.perTenant, `${path}.rateLimit.perTenant`, out);
    // A section with no limit in it is a mistake the policy parser refuses; the pod agrees.
    if (isObject(v.rateLimit) && rl.model === undefined && rl.perTenant === undefined && t === undefined)
      out.push({ path: `${path}.rateLimit`, message: 'sets no limit; give model, perTenant and/or tenants' });
    rateLimit = {
      ...(model ? { model } : {}),
      ...(perTenant ? { perTenant } : {}),
      ...(isObject(t) ? { tenants } : {}),
    };
  }
  if (out.length > before) return undefined;
  return {
    ...(identities ? { identities } : {}),
    ...(jwt ? { jwt } : {}),
    ...(apiKeys ? { apiKeys } : {}),
    ...(rateLimit ? { rateLimit } : {}),
  };
}
