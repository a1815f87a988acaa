// What a refused inference call becomes: a named error with a registry code (401, 403, 429 or
// 503 over HTTP; UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED or UNAVAILABLE over
// gRPC, server/status.ts) and one reason out of a fixed set, so metrics stay bounded and a
// message never carries what the client sent (docs/ACCESS.md, "At the pods").
import { SwitchyardError } from '../../kernel/errors/errors.js';

export const REFUSAL_REASONS = {
  identity_missing: 401,
  identity_denied: 403,
  credential_missing: 401,
  credential_malformed: 401,
  token_algorithm: 401,
  token_signature: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  token_issuer: 401,
  token_audience: 401,
  token_invalid: 401,
  jwks_unavailable: 401,
  key_unknown: 401,
  token_claims: 403,
  token_scope: 403,
  key_other_model: 403,
  rate_model: 429,
  rate_tenant: 429,
  rules_pending: 503,
} as const;
export type RefusalReason = keyof typeof REFUSAL_REASONS;

const MESSAGES: Record<RefusalReason, string> = {
  identity_missing: 'a client certificate is required',
  identity_denied: 'this workload identity may not call the model',
  credential_missing: 'a bearer token or API key is required',
  credential_malformed: 'the credential is malformed',
  token_algorithm: 'the token is signed with an algorithm that is not allowed',
  token_signature: 'the token signature does not verify',
  token_expired: 'the token has expired',
  token_not_yet_valid: 'the token is not valid yet',
  token_issuer: 'the token has another issuer',
  token_audience: 'the token is for another audience',
  token_invalid: 'the token is not valid',
  jwks_unavailable: 'the signing keys cannot be fetched',
  key_unknown: 'the API key is not known',
  token_claims: 'the token lacks a required claim',
  token_scope: 'the token lacks a required scope',
  key_other_model: 'the API key belongs to another model',
  rate_model: 'the model is over its rate limit',
  rate_tenant: 'the tenant is over its rate limit',
  rules_pending: 'access rules have not arrived from the control plane yet',
};

const CODES = {
  401: 'SY_ACCESS_UNAUTHENTICATED',
  403: 'SY_ACCESS_DENIED',
  429: 'SY_ACCESS_RATE_LIMITED',
  503: 'SY_ACCESS_RULES_PENDING',
} as const;

export class AccessRefusedError extends SwitchyardError {
  constructor(
    readonly model: string,
    readonly reason: RefusalReason,
    /** Whole seconds for retry-after (rate limits and pending rules). */
    readonly retryAfterSeconds?: number,
  ) {
    // The model name is the client's: JSON quoting keeps a newline in it from forging a line.
    super(CODES[REFUSAL_REASONS[reason]], `model ${JSON.stringify(model)}: ${MESSAGES[reason]}`);
  }

  /** HTTP: WWW-Authenticate on 401 (RFC 6750, section 3), Retry-After on 429 and 503. */
  httpHeaders(): Record<string, string> {
    const h: Record<string, string> = {};
    const status = REFUSAL_REASONS[this.reason];
    if (status === 401)
      h['www-authenticate'] = this.reason.startsWith('token_')
        ? 'Bearer realm="switchyard", error="invalid_token"'
        : 'Bearer realm="switchyard"';
    if (status === 403 && this.reason === 'token_scope')
      h['www-authenticate'] = 'Bearer realm="switchyard", error="insufficient_scope"';
    if (this.retryAfterSeconds !== undefined) h['retry-after'] = String(this.retryAfterSeconds);
    return h;
  }
}
