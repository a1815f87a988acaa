// The TLS helpers both programs share: PEM and X.509 parsing, SPIFFE IDs, peer allow-lists, and
// TLS options for node:tls and @grpc/grpc-js built from a workload's material. They hold no
// authority: issuing certificates is the control plane's PKI (control-plane/pki).
// See docs/SECURITY.md for the model behind them.
export { PeerRefusedError, SpiffeIdError } from './errors.js';
export { fileWatcherProviderConfig, MATERIAL_FILES, TlsMaterial } from './material.js';
export {
  allowListMatches,
  certificateSpiffeId,
  compileAllowList,
  decidePeer,
  type PeerAllowList,
  type PeerDecision,
  subjectAltNames,
} from './peer-identity.js';
export { normalizeCertPem, pemBlocks, toPem } from './pem.js';
export { Redacted } from './redacted.js';
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
  type ServerTlsOptions,
  secureContextOptions,
  spiffeServerIdentityCheck,
  tlsClientOptions,
  tlsServerOptions,
} from './tls-node.js';
export {
  type CryptoKey,
  type CryptoKeyPair,
  EC_P256,
  generateKeyPair,
  type KeyImportAlgorithm,
  OID,
  type SignAlgorithm,
  subtle,
  x509,
} from './x509.js';
