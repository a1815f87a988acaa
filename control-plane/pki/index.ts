// The PKI's public surface: what the xDS server, the admin API, the pods and the CLI import.
// See docs/SECURITY.md for the model behind it.
export { type AgentEvent, type AgentOptions, CertAgent } from './agent.js';
export { readMaterial, writeMaterial } from './agent-files.js';
export {
  type AuditRecord,
  type AuditSink,
  JsonLinesAuditSink,
  MemoryAuditSink,
  NULL_AUDIT,
  type PkiAuditEvent,
} from './audit.js';
export {
  type CaChange,
  type CaChangeListener,
  type CaStore,
  CertificateAuthority,
  type GenerationState,
  MemoryCaStore,
  type PersistedGeneration,
} from './authority.js';
export { exportKeyPem } from './ca-certs.js';
export { FileCaStore, initFileCa, openFileCa, readCaTrustDomain, readOperatorKey } from './ca-store.js';
export { type ChainAnchors, type ChainResult, verifyChain } from './chain.js';
export { createCsr, parseCsr } from './csr.js';
export { getTrustBundle, postCsr } from './csr-client.js';
export { type CsrFacts, csrRefusalReasons, csrUsabilityProblems } from './csr-policy.js';
export {
  CERTIFICATES_PATH,
  type CertificateResponse,
  csrRoutes,
  type PkiRoute,
  TRUST_BUNDLE_PATH,
} from './csr-routes.js';
export { type CsrServer, startCsrServer } from './csr-server.js';
export * from './errors.js';
export { CaGeneration, type GenerationRecord, type NewGenerationSecrets } from './generation.js';
export { type IssuedCertificate, type IssueRequest, WorkloadIssuer } from './issuer.js';
export { KEK_ENV, KEK_FILE_ENV, KeyEncryptionKey, Redacted } from './kek.js';
export { openKey, sealKey } from './key-envelope.js';
export { issueLocally, type LocalIssued } from './local-issue.js';
export { fileWatcherProviderConfig, MATERIAL_FILES, TlsMaterial } from './material.js';
export {
  allowListMatches,
  certificateSpiffeId,
  compileAllowList,
  decidePeer,
  type PeerAllowList,
  type PeerDecision,
} from './peer-identity.js';
export { normalizeCertPem, pemBlocks, toPem } from './pem.js';
export {
  DEFAULT_RENEWAL,
  DEFAULT_WORKLOAD_TTL_MS,
  type RenewalPolicy,
  renewAt,
  retryDelayMs,
} from './renewal.js';
export { SDS_FILES, SDS_SECRET_NAMES, sdsFileContents } from './sds-files.js';
export {
  controlPlaneId,
  formatSpiffeId,
  isValidTrustDomain,
  parseSpiffeId,
  type SpiffeId,
  tryParseSpiffeId,
  validateTrustDomain,
} from './spiffe.js';
export {
  grpcChannelCredentials,
  grpcProviderChannelCredentials,
  grpcServerCredentials,
  grpcStaticServerCredentials,
  MemoryCertificateProvider,
  spiffePeerInterceptor,
} from './tls-grpc.js';
export {
  enforcePeerIdentity,
  secureContextOptions,
  spiffeServerIdentityCheck,
  tlsClientOptions,
  tlsServerOptions,
} from './tls-node.js';
export {
  BootstrapTokens,
  FileTokenStore,
  hashToken,
  MemoryTokenStore,
  type TokenRecord,
  type TokenStore,
} from './tokens.js';
export { type BundleRoot, buildTrustBundle, type TrustBundle } from './trust-bundle.js';
