// OAuth 2.0 bearer JWTs checked against a JWKS with jose: signature, issuer, audience, expiry and
// an algorithm allow-list. jose refuses `alg: none`, and a key from the JWKS is used only with the
// algorithm family it belongs to, so an HS256 token "signed" with the public key finds no key.
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { UnauthenticatedError } from '../../kernel/errors/index.js';
import type { JwtConfig } from './auth-config.js';
import { type Principal, ROLES, type Role, type RoleBinding } from './rbac.js';

export class JwtVerifier {
  private readonly keys: ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly cfg: JwtConfig) {
    this.keys = cfg.jwksFile
      ? createLocalJWKSet(JSON.parse(readFileSync(cfg.jwksFile, 'utf8')))
      : createRemoteJWKSet(new URL(cfg.jwksUrl!));
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.cfg.issuer,
        audience: this.cfg.audience,
        algorithms: [...this.cfg.algorithms],
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      // jose's codes (ERR_JWT_EXPIRED, ERR_JWKS_NO_MATCHING_KEY, ...) say why; the token never
      // appears in the message.
      const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID';
      throw new UnauthenticatedError(`bearer token rejected (${code}): ${(err as Error).message}`);
    }
    const subject = String(payload[this.cfg.subjectClaim] ?? '');
    if (!subject) throw new UnauthenticatedError(`bearer token has no ${this.cfg.subjectClaim} claim`);
    return { id: `jwt:${subject}`, kind: 'jwt', bindings: bindingsFromClaim(payload[this.cfg.rolesClaim]) };
  }
}

/** ["operator:default", "viewer:*"] -> role bindings; malformed entries grant nothing. */
export function bindingsFromClaim(claim: unknown): RoleBinding[] {
  const list = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  const out: RoleBinding[] = [];
  for (const item of list) {
    const [role, namespace] = String(item).split(':');
    if (ROLES.includes(role as Role) && namespace) out.push({ role: role as Role, namespaces: [namespace] });
  }
  return out;
}
