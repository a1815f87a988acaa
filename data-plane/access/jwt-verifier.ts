// Bearer JWTs against one model's spec.access.jwt, with jose. The algorithm allow-list is ours:
// the header's `alg` is checked before any key is looked at (so `none` and HS* never reach a
// verifier), and jose is given the same list. Issuer, audience, exp/nbf (with clockSkew; `exp`
// is required: a bearer token that never expires is refused) and then, for a token that verified,
// the required claims and scopes (403 rather than 401: the caller is known, but not allowed).
// Verified tokens are remembered by their SHA-256 until they expire, so a client that reuses its
// token pays the signature check once; the cache is bounded and belongs to one rule set.
// JWKS: inline through createLocalJWKSet, by URL through createRemoteJWKSet (jose caches the set
// and refetches it, rate-limited, when a token names a key it does not hold).
// https://github.com/panva/jose/blob/main/docs/jwt/verify/functions/jwtVerify.md
import { createHash } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AccessJwt } from '../../kernel/contract/index.js';
import { durationMs } from '../../kernel/runtime/duration.js';
import type { RefusalReason } from './refusal.js';

export type JwtOutcome =
  | { readonly ok: true; readonly payload: JWTPayload }
  | { readonly ok: false; readonly reason: RefusalReason };

export const JWT_CACHE_ENTRIES = 10_000;
/** Longer tokens are refused unread (a JWT with a few claims is well under 2 KiB). */
export const MAX_TOKEN_LENGTH = 8192;

function reasonOf(err: unknown): RefusalReason {
  if (err instanceof errors.JWTExpired) return 'token_expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'token_audience';
    if (err.claim === 'iss') return 'token_issuer';
    if (err.claim === 'nbf') return 'token_not_yet_valid';
    return 'token_invalid';
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token_algorithm';
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey)
    return 'token_signature';
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return 'jwks_unavailable';
  if (err instanceof errors.JOSEError) return 'token_invalid';
  // fetch failures of a remote JWKS surface as plain errors.
  return 'jwks_unavailable';
}

function scopesOf(p: JWTPayload): Set<string> {
  const out = new Set<string>();
  if (typeof p.scope === 'string') for (const s of p.scope.split(' ')) if (s) out.add(s);
  const scp = p.scp;
  const list = Array.isArray(scp) ? scp : typeof scp === 'string' ? scp.split(' ') : [];
  for (const s of list) if (typeof s === 'string' && s) out.add(s);
  return out;
}

export class JwtVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly skewS: number;
  private readonly cache = new Map<string, { outcome: JwtOutcome; untilMs: number }>();

  constructor(
    readonly rule: AccessJwt,
    private readonly now: () => number = Date.now,
  ) {
    this.keys =
      'inline' in rule.jwks
        ? createLocalJWKSet({ keys: rule.jwks.inline.keys as never })
        : createRemoteJWKSet(new URL(rule.jwks.uri), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    this.skewS = durationMs(rule.clockSkew) / 1000;
  }

  async verify(token: string): Promise<JwtOutcome> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH)
      return { ok: false, reason: 'credential_malformed' };
    const id = createHash('sha256').update(token).digest('base64');
    const nowMs = this.now();
    const hit = this.cache.get(id);
    if (hit && nowMs < hit.untilMs) return hit.outcome;
    if (hit) this.cache.delete(id);
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return { ok: false, reason: 'credential_malformed' };
    }
    if (!alg || !(this.rule.algorithms as readonly string[]).includes(alg))
      return { ok: false, reason: 'token_algorithm' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.rule.issuer,
        audience: [...this.rule.audiences],
        algorithms: [...this.rule.algorithms],
        clockTolerance: this.skewS,
        requiredClaims: ['exp'],
        currentDate: new Date(nowMs),
      }));
    } catch (err) {
      return { ok: false, reason: reasonOf(err) };
    }
    // The rule is fixed for this verifier, so the whole outcome (claims and scopes included) holds
    // until the token expires.
    const outcome = this.authorize(payload);
    const untilMs = ((payload.exp as number) + this.skewS) * 1000;
    if (this.cache.size >= JWT_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(id, { outcome, untilMs });
    return outcome;
  }

  private authorize(payload: JWTPayload): JwtOutcome {
    for (const [claim, value] of Object.entries(this.rule.requiredClaims))
      if (payload[claim] !== value) return { ok: false, reason: 'token_claims' };
    if (this.rule.scopes.length) {
      const have = scopesOf(payload);
      if (!this.rule.scopes.every((s) => have.has(s))) return { ok: false, reason: 'token_scope' };
    }
    return { ok: true, payload };
  }

  /** The tenant a verified token names (its tenantClaim), when that is a non-empty string. */
  tenantOf(payload: JWTPayload): string | undefined {
    const t = payload[this.rule.tenantClaim];
    return typeof t === 'string' && t.length > 0 ? t : undefined;
  }
}
