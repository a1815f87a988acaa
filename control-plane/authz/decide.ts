// What the Switchyard authorization service decides for one request the Envoy gateway checks
// (ext_authz): the part of docs/ACCESS.md that Envoy's own filters cannot answer with the right
// code. Envoy has already verified a bearer token's signature, issuer and time (jwt_authn) and
// the peer's identity against the list (RBAC); this adds the rest: API keys (401 unknown, 403
// another model's), the token's audience and algorithm (401), a request without a client
// certificate where identities are set (401), and the tenant for the rate limits.
// Pure: the routes in, a verdict out.
import { createHash } from 'node:crypto';
import type { AccessSpec } from '../policy/access.js';
import { identityAllowed } from '../policy/access.js';
import type { ModelRoute } from '../policy/types.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What Envoy tells the service about one request. */
export interface CheckInput {
  /** From the route's context extensions. */
  readonly model?: string;
  /** The mTLS peer's URI SAN; empty without a client certificate. */
  readonly principal: string;
  readonly apiKey?: string;
  /** jwt_authn's verified token (dynamic metadata), when there is one. */
  readonly jwtPayload?: { readonly [k: string]: Json };
  readonly jwtHeader?: { readonly [k: string]: Json };
}

/** Why a request was refused: a bounded set, fit for a metric label. */
export type RefusalReason =
  | 'unknown-model'
  | 'no-client-certificate'
  | 'identity'
  | 'missing-credential'
  | 'jwt-audience'
  | 'jwt-algorithm'
  | 'jwt-issuer'
  | 'api-key-unknown'
  | 'api-key-other-model';

export type Verdict =
  | { readonly ok: true; readonly tenant: string; readonly credential: 'api-key' | 'jwt' | 'none' }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: RefusalReason };

interface KeyOwner {
  readonly model: string;
  readonly tenant: string;
}

/** The routes by model and every API key's owner, built once per routes array. */
export class AccessIndex {
  private readonly byModel = new Map<string, AccessSpec | undefined>();
  private readonly keys = new Map<string, KeyOwner>();

  constructor(routes: readonly ModelRoute[]) {
    for (const r of routes) {
      this.byModel.set(r.spec.model, r.spec.access);
      for (const k of r.spec.access?.apiKeys ?? [])
        this.keys.set(`${r.spec.model}\u0000${k.sha256}`, { model: r.spec.model, tenant: k.tenant });
    }
  }

  private owners(sha256: string): KeyOwner[] {
    const out: KeyOwner[] = [];
    for (const model of this.byModel.keys()) {
      const o = this.keys.get(`${model}\u0000${sha256}`);
      if (o) out.push(o);
    }
    return out;
  }

  decide(input: CheckInput): Verdict {
    if (input.model === undefined || !this.byModel.has(input.model))
      return { ok: false, status: 403, reason: 'unknown-model' };
    const access = this.byModel.get(input.model);
    const fallbackTenant = input.principal || 'anonymous';
    if (!access) return { ok: true, tenant: fallbackTenant, credential: 'none' };
    if (access.identities) {
      if (!input.principal) return { ok: false, status: 401, reason: 'no-client-certificate' };
      if (!identityAllowed(input.principal, access.identities))
        return { ok: false, status: 403, reason: 'identity' };
    }
    if (!access.jwt && !access.apiKeys) return { ok: true, tenant: fallbackTenant, credential: 'none' };
    const sha = input.apiKey ? createHash('sha256').update(input.apiKey).digest('hex') : undefined;
    const own = sha && access.apiKeys ? this.keys.get(`${input.model}\u0000${sha}`) : undefined;
    if (own) return { ok: true, tenant: own.tenant, credential: 'api-key' };
    let tokenProblem: RefusalReason | undefined;
    if (access.jwt && input.jwtPayload) {
      tokenProblem = tokenCheck(access, input);
      if (!tokenProblem) {
        const claim = input.jwtPayload[access.jwt.tenantClaim];
        const tenant = typeof claim === 'string' && claim ? claim : fallbackTenant;
        return { ok: true, tenant, credential: 'jwt' };
      }
    }
    if (tokenProblem) return { ok: false, status: 401, reason: tokenProblem };
    if (sha && access.apiKeys) {
      const elsewhere = this.owners(sha).length > 0;
      return elsewhere
        ? { ok: false, status: 403, reason: 'api-key-other-model' }
        : { ok: false, status: 401, reason: 'api-key-unknown' };
    }
    return { ok: false, status: 401, reason: 'missing-credential' };
  }
}

function tokenCheck(access: AccessSpec, input: CheckInput): RefusalReason | undefined {
  const jwt = access.jwt!;
  const alg = input.jwtHeader?.alg;
  if (typeof alg !== 'string' || !(jwt.algorithms as readonly string[]).includes(alg)) return 'jwt-algorithm';
  if (input.jwtPayload!.iss !== jwt.issuer) return 'jwt-issuer';
  const aud = input.jwtPayload!.aud;
  const auds = Array.isArray(aud) ? aud : [aud];
  if (!auds.some((a) => typeof a === 'string' && jwt.audiences.includes(a))) return 'jwt-audience';
  return undefined;
}

function sameRoutes(a: readonly ModelRoute[], b: readonly ModelRoute[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The index of the routes served now, rebuilt only when they changed: callers hand in a fresh
 * array of the same (immutable) route objects until a policy changes, so an element-wise
 * comparison finds an unchanged set without hashing keys again.
 */
export class AccessIndexCache {
  private last: { routes: readonly ModelRoute[]; index: AccessIndex } | undefined;

  get(routes: readonly ModelRoute[]): AccessIndex {
    if (!this.last || !sameRoutes(this.last.routes, routes))
      this.last = { routes: [...routes], index: new AccessIndex(routes) };
    return this.last.index;
  }
}
