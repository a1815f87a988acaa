// The PKI's state in JetStream (docs/SECURITY.md, "The CA in JetStream"): one CA and one set of
// bootstrap tokens shared by every control-plane replica.
export {
  caBucketName,
  openCaBucket,
  openTokenBucket,
  type PkiBucketOptions,
  tokenBucketName,
} from './buckets.js';
export { type JetStreamCaOptions, ReplicatedCa, seedFromFileCa } from './ca-replicas.js';
export {
  decodeCaState,
  type Fence,
  type JetStreamCaState,
  JetStreamCaStore,
  readBucketTrustDomain,
} from './ca-store.js';
export { JetStreamTokenStore } from './token-store.js';
