// Model artifact codec shared by the registry (encrypts on push) and managed pods (decrypt on load).
export {
  artifactKeyLabel,
  artifactObjectName,
  decryptArtifact,
  encryptArtifact,
  newDataKey,
  sha256Digest,
} from './codec.js';
export { ArtifactIntegrityError } from './errors.js';
export { ArtifactDecryptor, encryptArtifactChunks, sealedLength } from './stream.js';
