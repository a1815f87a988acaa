// The PKI's public surface: what the xDS server, the admin API and the CLI import; nothing outside
// control-plane/pki reaches past it. Inside, ca/ keeps the authority and its keys, issuance/ decides
// and signs, http/ serves and calls the CSR endpoints, agent/ keeps a workload's files current.
// The TLS helpers both programs share (PEM, SPIFFE, peer allow-lists) are in kernel/tls.
// See docs/SECURITY.md for the model behind it.

export { KEK_ENV, KEK_FILE_ENV, KeyEncryptionKey, openKey, sealKey } from '../../kernel/crypto/index.js';
export { type AgentEvent, type AgentOptions, CertAgent } from './agent/agent.js';
export { readMaterial, writeMaterial } from './agent/agent-files.js';
export { SDS_FILES, SDS_SECRET_NAMES, sdsFileContents } from './agent/sds-files.js';
export {
  type CaChange,
  type CaChangeListener,
  type CaStore,
  CertificateAuthority,
  type GenerationState,
  MemoryCaStore,
  type PersistedGeneration,
} from './ca/authority.js';
export { exportKeyPem } from './ca/ca-certs.js';
export { FileCaStore, initFileCa, openFileCa, readCaTrustDomain, readOperatorKey } from './ca/ca-store.js';
export { type ChainAnchors, type ChainResult, verifyChain } from './ca/chain.js';
export { CaGeneration, type GenerationRecord, type NewGenerationSecrets } from './ca/generation.js';
export { type BundleRoot, buildTrustBundle, type TrustBundle } from './ca/trust-bundle.js';
export * from './errors.js';
export {
  CaError,
  CsrInvalidError,
  CsrRefusedError,
  KekError,
  KeyDecryptError,
  UnauthenticatedError,
  XdsNodeIdentityError,
} from './errors.js';
export { adminCsrRoutes } from './http/admin-csr-routes.js';
export { getTrustBundle, postCsr } from './http/csr-client.js';
export {
  CERTIFICATES_PATH,
  type CertificateResponse,
  csrRoutes,
  type PkiRoute,
  TRUST_BUNDLE_PATH,
} from './http/csr-routes.js';
export { type CsrServer, startCsrServer } from './http/csr-server.js';
export {
  type AuditRecord,
  type AuditSink,
  JsonLinesAuditSink,
  MemoryAuditSink,
  NULL_AUDIT,
  type PkiAuditEvent,
} from './issuance/audit.js';
export { createCsr, parseCsr } from './issuance/csr.js';
export { type CsrFacts, csrRefusalReasons, csrUsabilityProblems } from './issuance/csr-policy.js';
export { type IssuedCertificate, type IssueRequest, WorkloadIssuer } from './issuance/issuer.js';
export { issueLocally, type LocalIssued } from './issuance/local-issue.js';
export {
  NODE_INSTANCE_SEPARATOR,
  type NodeIdentityVerdict,
  nodeIdFor,
  nodeIdMatchesIdentity,
} from './issuance/node-identity.js';
export {
  DEFAULT_RENEWAL,
  DEFAULT_WORKLOAD_TTL_MS,
  type RenewalPolicy,
  renewAt,
  retryDelayMs,
} from './issuance/renewal.js';
export { ServingIdentity, type ServingIdentityOptions } from './issuance/serving-identity.js';
export {
  BootstrapTokens,
  FileTokenStore,
  hashToken,
  MemoryTokenStore,
  type TokenRecord,
  type TokenStore,
} from './issuance/tokens.js';
export {
  caBucketName,
  openCaBucket,
  openTokenBucket,
  type PkiBucketOptions,
  tokenBucketName,
} from './jetstream/buckets.js';
export { type JetStreamCaOptions, ReplicatedCa, seedFromFileCa } from './jetstream/ca-replicas.js';
export {
  decodeCaState,
  type Fence,
  type JetStreamCaState,
  JetStreamCaStore,
  readBucketTrustDomain,
} from './jetstream/ca-store.js';
export { JetStreamTokenStore } from './jetstream/token-store.js';
