// When a workload renews its certificate: at half its life, with jitter so a fleet issued at the
// same moment (a rollout, a CA rotation) does not come back at the same moment (Istio's
// SecretRotationGracePeriodRatio, SPIRE's half-life rule). Pure: callers pass time and randomness.

export interface RenewalPolicy {
  /** Share of the lifetime after which to renew (0.5 = half-life). */
  readonly fraction: number;
  /** Total width of the jitter window as a share of the lifetime, centred on `fraction`. */
  readonly jitter: number;
}

export const DEFAULT_RENEWAL: RenewalPolicy = { fraction: 0.5, jitter: 0.1 };

/** Default lifetime of a workload certificate. */
export const DEFAULT_WORKLOAD_TTL_MS = 24 * 3_600_000;

/**
 * The moment to renew a certificate valid from `issuedAt` to `notAfter`: lifetime times
 * `fraction`, shifted by up to half the jitter window either way. With the defaults a 24 h
 * certificate renews between 10.8 h and 13.2 h. `random` returns [0, 1).
 */
export function renewAt(
  issuedAt: Date,
  notAfter: Date,
  random: () => number = Math.random,
  policy: RenewalPolicy = DEFAULT_RENEWAL,
): Date {
  const start = issuedAt.getTime();
  const life = notAfter.getTime() - start;
  if (!(life > 0)) return new Date(start);
  const r = Math.min(Math.max(random(), 0), 1);
  const share = policy.fraction + policy.jitter * (r - 0.5);
  const clamped = Math.min(Math.max(share, 0), 1);
  return new Date(start + Math.round(life * clamped));
}

/**
 * Wait before retrying a failed renewal: exponential from 1 s, capped at 30 s and at a tenth of
 * the time the current certificate has left, so several tries fit before it expires.
 */
export function retryDelayMs(attempt: number, remainingMs: number): number {
  const exp = 1000 * 2 ** Math.min(Math.max(attempt, 0), 10);
  const cap = Math.max(100, Math.min(30_000, remainingMs / 10));
  return Math.min(exp, cap);
}
