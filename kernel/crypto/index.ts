// The key-encryption key (KEK) and the envelope it seals secrets in. The CA seals its private
// keys with it; the model registry seals each artifact's data key with it (docs/SECURITY.md,
// docs/REGISTRY.md). Pods that decrypt artifacts import it from here, not from the control plane.
export { KekError, KeyDecryptError } from './errors.js';
export { KEK_ENV, KEK_FILE_ENV, type KekKind, KeyEncryptionKey } from './kek.js';
export {
  ENVELOPE_FORMAT,
  isKeyEnvelope,
  type KeyEnvelope,
  openKey,
  SCRYPT_DEFAULT,
  sealKey,
} from './key-envelope.js';
