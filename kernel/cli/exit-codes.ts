// Exit codes scripts can rely on (docs/OPERATIONS.md, "The CLI"): which kind of failure, not just "failed".
import type { ErrorCode } from '../errors/index.js';

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  conflict: 3,
  notFound: 4,
  denied: 5,
  unavailable: 6,
  timeout: 7,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'SY_OPTION_INVALID':
    case 'SY_POD_ID_INVALID':
    case 'SY_POLICY_PARSE':
    case 'SY_POLICY_INVALID':
    case 'SY_IDEMPOTENCY_KEY_REUSED':
    case 'SY_ARTIFACT_INVALID':
      return EXIT.usage;
    case 'SY_POLICY_CONFLICT':
    case 'SY_VERSION_CONFLICT':
    case 'SY_PROMOTION_REFUSED':
      return EXIT.conflict;
    case 'SY_NOT_FOUND':
      return EXIT.notFound;
    case 'SY_UNAUTHENTICATED':
    case 'SY_FORBIDDEN':
    case 'SY_RESIDENCY_REFUSED':
      return EXIT.denied;
    case 'SY_UNAVAILABLE':
    case 'SY_STORE':
    case 'SY_RATE_LIMITED':
      return EXIT.unavailable;
    case 'SY_SYNC_TIMEOUT':
      return EXIT.timeout;
    default:
      return EXIT.failure;
  }
}
