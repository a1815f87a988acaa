// Size limits of one ModelRoute. Every policy is translated into every client's CDS, RDS and
// EDS, so one oversized policy costs every proxy and the event loop that builds the snapshot;
// these keep one model's share of a push small. Table in docs/OPERATIONS.md, "Limits
// and quotas"; per-namespace totals are quotas (api/quotas.ts), configured per control plane.
export const POLICY_LIMITS = {
  /** spec.versions */
  versions: 32,
  /** spec.versions[].endpoints */
  endpointsPerVersion: 64,
  /** all static endpoints of one policy */
  endpoints: 256,
  /** spec.match */
  matchRules: 16,
  /** spec.match[].headers */
  headersPerMatch: 8,
  /** spec.residency.regions */
  regions: 32,
} as const;
