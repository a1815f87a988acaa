// Downloads one assigned artifact from the JetStream Object Store and opens it: the data key is
// unsealed with the KEK under the label that binds it to this model and version, the object is
// decrypted (AES-256-GCM authenticates it), and the plaintext must have the assigned digest.
import { jetstream } from '@nats-io/jetstream';
import { type ObjectStore, Objm, setSha256Backend } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ArtifactIntegrityError,
  artifactKeyLabel,
  decryptArtifact,
  sha256Digest,
} from '../../kernel/artifacts/index.js';
import type { AssignedVersion } from '../../kernel/contract/index.js';
import { type KeyEncryptionKey, openKey } from '../../kernel/crypto/index.js';

/** A stalled download must not hold the pod's load queue for ever: 60 s plus 1 s per MiB. */
export function downloadTimeoutMs(sizeBytes: number): number {
  return 60_000 + Math.ceil(sizeBytes / 2 ** 20) * 1000;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// The client checks each object's own SHA-256 as it streams in; its default is pure JavaScript
// (browser-safe), several seconds for 100 MB. Node's is OpenSSL's. Process-wide, set once.
setSha256Backend('native');

export class ArtifactSource {
  private store: Promise<ObjectStore> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    readonly bucket: string,
    private readonly kek: KeyEncryptionKey,
  ) {}

  /** The verified plaintext ONNX file of `a`; throws ArtifactIntegrityError on any mismatch. */
  async fetch(a: AssignedVersion): Promise<Uint8Array> {
    // checkAPI and check off: no account-info or stream-info request, so the pod's NATS user needs
    // neither $JS.API.INFO nor $JS.API.STREAM.INFO (docs/SECURITY.md, "Managed pods").
    this.store ??= new Objm(jetstream(this.nc, { checkAPI: false })).open(this.bucket, false);
    const store = await this.store;
    const sealed = await withTimeout(
      store.getBlob(a.objectName),
      downloadTimeoutMs(Number(a.sizeBytes)),
      `download of ${a.objectName} from ${this.bucket}`,
    );
    if (!sealed) throw new ArtifactIntegrityError(`object ${a.objectName} is not in bucket ${this.bucket}`);
    const dataKey = await openKey(a.sealedDataKey, this.kek, artifactKeyLabel(a.model, a.version));
    let plain: Uint8Array;
    try {
      plain = decryptArtifact(sealed, dataKey);
    } finally {
      dataKey.fill(0);
    }
    const digest = sha256Digest(plain);
    if (digest !== a.digest)
      throw new ArtifactIntegrityError(`digest mismatch: assigned ${a.digest}, object holds ${digest}`);
    return plain;
  }
}
