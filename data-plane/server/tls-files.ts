// The pod's workload certificate, read from the directory `switchyard certs agent` keeps
// (certificate.pem, private_key.pem, ca_certificate.pem behind the atomically swapped `..data`
// link) and followed as the agent renews it or a new trust bundle arrives. A change is noticed
// by fs.watch on the directory (the link swap is a rename in it) and, in case an event is
// missed (network file systems, editors), by a periodic comparison of the files' contents.
import { watch as fsWatch, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { certificateSpiffeId, MATERIAL_FILES, pemBlocks, TlsMaterial } from '../../kernel/tls/index.js';
import { TlsMaterialError } from '../errors.js';

export interface LoadedTls {
  readonly material: TlsMaterial;
  /** The SPIFFE ID the certificate proves. */
  readonly identity: string;
  /** Increments with each accepted change (1 for the first load). */
  readonly generation: number;
}

function readAll(dir: string): [string, string, string] {
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return [
    read(MATERIAL_FILES.certificate),
    read(MATERIAL_FILES.privateKey),
    read(MATERIAL_FILES.caCertificate),
  ];
}

/** Checks and takes the files; throws when the key does not match the certificate, etc. */
function build(files: [string, string, string], generation: number): LoadedTls {
  const [cert, key, ca] = files;
  const material = new TlsMaterial(cert, key, ca);
  const leaf = pemBlocks(cert)[0];
  if (!leaf) throw new TlsMaterialError(`${MATERIAL_FILES.certificate} holds no certificate`);
  const id = certificateSpiffeId(leaf);
  if (!id.ok) throw new TlsMaterialError(`the workload certificate proves no identity: ${id.reason}`);
  // Only to check: a key that does not match the certificate, or an unparsable PEM, throws here
  // and the current material keeps serving (the agent may be between two writes).
  createSecureContext({ cert, key, ca });
  return { material, identity: id.identity, generation };
}

export class TlsFiles {
  #current: LoadedTls;
  #files: [string, string, string];
  readonly #listeners = new Set<(t: LoadedTls) => void>();
  #watcher: ReturnType<typeof fsWatch> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;

  private constructor(
    readonly dir: string,
    files: [string, string, string],
  ) {
    this.#files = files;
    this.#current = build(files, 1);
  }

  /** Reads the directory now; throws if the material is missing or unusable. */
  static load(dir: string): TlsFiles {
    return new TlsFiles(dir, readAll(dir));
  }

  get current(): LoadedTls {
    return this.#current;
  }

  onChange(listener: (t: LoadedTls) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts following the directory; `pollMs` bounds how late a missed event is noticed. */
  watch(pollMs: number, onError?: (err: Error) => void): void {
    const check = () => {
      try {
        this.reload();
      } catch (err) {
        // Mid-swap reads or a half-written file: the current material keeps serving.
        onError?.(err as Error);
      }
    };
    try {
      this.#watcher = fsWatch(this.dir, () => {
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(check, 20);
        this.#debounce.unref();
      });
      this.#watcher.on('error', () => undefined);
    } catch {
      // No inotify here: the poll below still notices changes.
    }
    this.#timer = setInterval(check, pollMs);
    this.#timer.unref();
  }

  /** Re-reads the files; returns true when they changed and the new material was taken. */
  reload(): boolean {
    const files = readAll(this.dir);
    if (files.every((f, i) => f === this.#files[i])) return false;
    const next = build(files, this.#current.generation + 1);
    this.#files = files;
    this.#current = next;
    for (const l of this.#listeners) l(next);
    return true;
  }

  close(): void {
    this.#watcher?.close();
    clearInterval(this.#timer);
    clearTimeout(this.#debounce);
  }
}
