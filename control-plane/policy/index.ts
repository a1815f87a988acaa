// The policy model: ModelRoute documents parsed, defaulted and validated (issue 3).
export { durationMs, parseDurationNs } from './duration.js';
export { checkPolicyHeader, documentValue, parsePolicyFile, validatePolicy } from './parse.js';
export { checkPolicySet, policyId } from './policy-set.js';
export * from './types.js';
