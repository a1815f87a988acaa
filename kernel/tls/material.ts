// What a workload holds to speak mTLS: its certificate chain, its private key, and the trust
// bundle. The key is a private field and the holder redacts itself when printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redacted } from './redacted.js';

/** File names inside an agent's directory; they mirror grpc's file_watcher config keys. */
export const MATERIAL_FILES = {
  certificate: 'certificate.pem',
  privateKey: 'private_key.pem',
  caCertificate: 'ca_certificate.pem',
} as const;

export class TlsMaterial extends Redacted {
  readonly #privateKey: string;
  constructor(
    /** PEM: leaf first, then the issuing chain. */
    readonly certificateChain: string,
    privateKeyPem: string,
    /** PEM: every trusted root. */
    readonly trustBundle: string,
  ) {
    super();
    this.#privateKey = privateKeyPem;
  }
  get privateKey(): string {
    return this.#privateKey;
  }
  withTrustBundle(trustBundle: string): TlsMaterial {
    return new TlsMaterial(this.certificateChain, this.#privateKey, trustBundle);
  }

  /** Reads the three files `certs agent` keeps in `dir`. */
  static fromDir(dir: string): TlsMaterial {
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return new TlsMaterial(
      read(MATERIAL_FILES.certificate),
      read(MATERIAL_FILES.privateKey),
      read(MATERIAL_FILES.caCertificate),
    );
  }
}

/**
 * The `certificate_providers` entry of a gRPC xDS bootstrap for a directory kept by
 * `certs agent` (plugin "file_watcher"; grpc-js-xds validates exactly these keys).
 */
export function fileWatcherProviderConfig(dir: string, refreshIntervalSeconds = 10) {
  return {
    plugin_name: 'file_watcher',
    config: {
      certificate_file: join(dir, MATERIAL_FILES.certificate),
      private_key_file: join(dir, MATERIAL_FILES.privateKey),
      ca_certificate_file: join(dir, MATERIAL_FILES.caCertificate),
      refresh_interval: `${refreshIntervalSeconds}s`,
    },
  } as const;
}
