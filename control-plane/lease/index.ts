// Leader election for singleton work (docs/OPERATIONS.md, "Leader election").
export { LeaseFencedError } from './errors.js';
export { DEFAULT_LEASE_TTL_MS, Lease, type LeaseOptions, type LeaseStatus } from './lease.js';
export {
  DEFAULT_BUCKET_PREFIX,
  defaultReplicaName,
  LEADER_GROUP,
  leaseBucketName,
  openLeaseBucket,
} from './lease-bucket.js';
export { registerLeaseMetrics } from './lease-metrics.js';
export { decodeLease, encodeLease, type LeaseRecord, nextStep } from './lease-record.js';
