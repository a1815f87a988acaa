// Encrypted artifacts in the JetStream Object Store `<prefix>_artifacts`: object `<name>/<version>`
// holds kernel/artifacts' sealed form (nonce || ciphertext || tag). Puts stream in chunks and
// report progress; the Object Store's own SHA-256 guards the sealed bytes in transit.
import { jetstream } from '@nats-io/jetstream';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { StoreError } from '../../kernel/errors/index.js';
import { JS_CREATE_TIMEOUT_MS } from '../store/store-calls.js';
import type { StoreNames } from '../store/store-names.js';

/** Chunk size of an object: well under NATS's default 1 MiB max_payload. */
export const CHUNK_BYTES = 512 * 1024;
/** A 100 MB put goes through many requests: its deadline scales with its size. */
const PUT_MS_PER_MB = 1000;

export type Progress = (sentBytes: number, totalBytes: number) => void;

/** The pieces as a stream the Object Store pulls: each piece is made only when pulled. */
function pulled(
  pieces: Iterable<Uint8Array>,
  totalBytes: number,
  progress?: Progress,
): ReadableStream<Uint8Array> {
  const it = pieces[Symbol.iterator]();
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = it.next();
      if (next.done) {
        controller.close();
        return;
      }
      controller.enqueue(next.value);
      sent += next.value.length;
      progress?.(sent, totalBytes);
    },
  });
}

export class ArtifactStore {
  private constructor(
    private readonly os: ObjectStore,
    readonly bucket: string,
  ) {}

  static async open(nc: NatsConnection, names: StoreNames, replicas = 1): Promise<ArtifactStore> {
    const bucket = names.bucket('artifacts');
    try {
      const os = await new Objm(jetstream(nc, { timeout: JS_CREATE_TIMEOUT_MS })).create(bucket, {
        replicas,
      });
      return new ArtifactStore(os, bucket);
    } catch (err) {
      throw new StoreError(`cannot open Object Store ${bucket}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Stores the object made of `pieces` (`totalBytes` in all). A generator that encrypts each
   * piece as it is pulled overlaps the encryption with the put's round trips.
   */
  async put(
    objectName: string,
    pieces: Iterable<Uint8Array>,
    totalBytes: number,
    progress?: Progress,
  ): Promise<void> {
    const deadline = 5000 + (PUT_MS_PER_MB * totalBytes) / 1e6;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.os.put(
          { name: objectName, options: { max_chunk_size: CHUNK_BYTES } },
          pulled(pieces, totalBytes, progress),
        ),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${Math.round(deadline)} ms`)),
            deadline,
          );
        }),
      ]);
    } catch (err) {
      throw new StoreError(`cannot store artifact ${objectName}: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async get(objectName: string): Promise<Uint8Array | undefined> {
    try {
      return (await this.os.getBlob(objectName)) ?? undefined;
    } catch (err) {
      throw new StoreError(`cannot read artifact ${objectName}: ${(err as Error).message}`, { cause: err });
    }
  }

  async delete(objectName: string): Promise<void> {
    try {
      await this.os.delete(objectName);
    } catch (err) {
      if (/not found/i.test((err as Error).message)) return;
      throw new StoreError(`cannot delete artifact ${objectName}: ${(err as Error).message}`, { cause: err });
    }
  }
}
