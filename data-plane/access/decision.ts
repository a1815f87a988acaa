// The pure half of a decision (docs/ACCESS.md, "What a request must satisfy, in order"): which
// credentials a request carries, the identity step, how credential outcomes combine, and who the
// tenant is. The enforcer (enforcer.ts) runs the steps that need crypto or clocks around these.
import { identityAllowedBy } from './identity.js';
import type { RefusalReason } from './refusal.js';

export interface Credentials {
  readonly bearer?: string;
  readonly apiKey?: string;
  /** An Authorization header that is not `Bearer <token>`. */
  readonly malformed?: boolean;
}

/** Credentials from request headers (HTTP) or metadata (gRPC): lower-case names. */
export function credentialsOf(header: (name: string) => string | undefined): Credentials {
  const auth = header('authorization');
  const apiKey = header('x-api-key');
  let bearer: string | undefined;
  let malformed = false;
  if (auth !== undefined) {
    const m = /^Bearer +(\S+) *$/i.exec(auth);
    if (m) bearer = m[1];
    else malformed = true;
  }
  return {
    ...(bearer !== undefined ? { bearer } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(malformed ? { malformed } : {}),
  };
}

/** Step 1: undefined when the peer passes (or no identities are set), else the refusal. */
export function identityStep(
  identities: readonly string[] | undefined,
  peer: string | undefined,
): RefusalReason | undefined {
  if (!identities) return undefined;
  if (peer === undefined) return 'identity_missing';
  return identityAllowedBy(peer, identities) ? undefined : 'identity_denied';
}

export type CredentialOutcome =
  | { readonly ok: true; readonly tenant?: string }
  | { readonly ok: false; readonly reason: RefusalReason };

/**
 * Step 2 over every credential checked: one that passes is enough; otherwise a 403 outcome (a
 * known caller without access) is reported before a 401 one, so the caller learns what to fix.
 */
export function combineCredentials(
  outcomes: readonly CredentialOutcome[],
  malformed: boolean,
): CredentialOutcome {
  const pass = outcomes.find((o) => o.ok);
  if (pass) return pass;
  const refusals = outcomes.filter((o): o is { ok: false; reason: RefusalReason } => !o.ok);
  const denied = refusals.find((o) => STATUS_403.has(o.reason));
  if (denied) return denied;
  if (refusals[0]) return refusals[0];
  return { ok: false, reason: malformed ? 'credential_malformed' : 'credential_missing' };
}

const STATUS_403 = new Set<RefusalReason>(['token_claims', 'token_scope', 'key_other_model']);

/** The tenant: the API key's, else the token's tenant claim, else the peer's SPIFFE ID, else anonymous. */
export function tenantOf(credentialTenant: string | undefined, peer: string | undefined): string {
  return credentialTenant ?? peer ?? 'anonymous';
}
