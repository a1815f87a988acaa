// Downloads one assigned artifact from the JetStream Object Store and opens it: the data key is
// unsealed with the KEK under the label that binds it to this model and version, the object is
// decrypted (AES-256-GCM authenticates it), and the plaintext must have the assigned digest.
import { jetstream } from '@nats-io/jetstream';
import { type ObjectStore, Objm, setSha256Backend } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { ArtifactDecryptor, ArtifactIntegrityError, artifactKeyLabel } from '../../kernel/artifacts/index.js';
import type { AssignedVersion } from '../../kernel/contract/index.js';
import { type KeyEncryptionKey, openKey } from '../../kernel/crypto/index.js';
import type { PlainSink } from './incoming-artifact.js';

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

  /**
   * The verified plaintext ONNX file of `a`; throws ArtifactIntegrityError on any mismatch. The
   * object is decrypted and hashed chunk by chunk as it arrives (kernel/artifacts/stream.ts),
   * into one buffer of the assigned size, handed to `sink` as it grows: no whole-file pass waits
   * for the download to end, and no second copy of the model is made.
   */
  async fetch(a: AssignedVersion, sink?: PlainSink): Promise<Uint8Array> {
    // checkAPI and check off: no account-info or stream-info request, so the pod's NATS user needs
    // neither $JS.API.INFO nor $JS.API.STREAM.INFO (docs/SECURITY.md, "Managed pods").
    this.store ??= new Objm(jetstream(this.nc, { checkAPI: false })).open(this.bucket, false);
    const store = await this.store;
    const dataKey = await openKey(a.sealedDataKey, this.kek, artifactKeyLabel(a.model, a.version));
    try {
      return await withTimeout(
        this.download(store, a, dataKey, sink),
        downloadTimeoutMs(Number(a.sizeBytes)),
        `download of ${a.objectName} from ${this.bucket}`,
      );
    } finally {
      dataKey.fill(0);
    }
  }

  private async download(
    store: ObjectStore,
    a: AssignedVersion,
    dataKey: Uint8Array,
    sink: PlainSink | undefined,
  ): Promise<Uint8Array> {
    const object = await store.get(a.objectName);
    if (!object) throw new ArtifactIntegrityError(`object ${a.objectName} is not in bucket ${this.bucket}`);
    const size = Number(a.sizeBytes);
    const plain = new Uint8Array(size);
    let at = 0;
    const dec = new ArtifactDecryptor(dataKey, (piece) => {
      if (at + piece.length > size)
        throw new ArtifactIntegrityError(`object ${a.objectName} holds more than the assigned ${size} bytes`);
      plain.set(piece, at);
      at += piece.length;
      sink?.received(plain, at);
    });
    // Observed from the start: it may reject while the loop below is what fails first.
    const settled = object.error.then(
      (e) => e ?? undefined,
      (e: unknown) => e as Error,
    );
    try {
      // The stream ends in an error when the object's own SHA-256 does not match (the client's check).
      for await (const piece of object.data) dec.update(piece);
    } catch (err) {
      await settled;
      throw err;
    }
    const failed = await settled;
    if (failed) throw failed;
    const { sizeBytes, digest } = dec.finish();
    if (sizeBytes !== size)
      throw new ArtifactIntegrityError(`object ${a.objectName} holds ${sizeBytes} bytes, assigned ${size}`);
    if (digest !== a.digest)
      throw new ArtifactIntegrityError(`digest mismatch: assigned ${a.digest}, object holds ${digest}`);
    return plain;
  }
}
