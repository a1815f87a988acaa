// The policy model: ModelRoute documents parsed, defaulted and validated.
export { durationMs, parseDurationNs } from '../../kernel/runtime/duration.js';
export {
  ACCESS_LIMITS,
  type AccessSpec,
  type ApiKeyRule,
  checkAccess,
  identityAllowed,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type JwtRule,
  type RateLimit,
  tenantLimit,
} from './access.js';
export { checkPolicyHeader, documentValue, parsePolicyFile, validatePolicy } from './parse.js';
export {
  checkPolicySet,
  conflictMessage,
  type Owners,
  type PolicyConflict,
  policyId,
  resolveOwners,
} from './policy-set.js';
export {
  checkRollout,
  type OnFailure,
  type RolloutAnalysis,
  type RolloutSpec,
  type RolloutStep,
  rolloutDurationMs,
} from './rollout.js';
export * from './types.js';
