// Named errors of the key-encryption-key scheme, shared by the CA (sealed private keys) and the
// model registry (sealed artifact data keys). Codes are in kernel/errors/codes.ts.
import { SwitchyardError } from '../errors/errors.js';

export class KekError extends SwitchyardError {
  constructor(reason: string) {
    super('SY_PKI_KEK_INVALID', `key-encryption key: ${reason}`);
  }
}

/** AES-GCM refused to open an envelope: wrong key, or a byte of it changed. */
export class KeyDecryptError extends SwitchyardError {
  constructor(
    readonly label: string,
    reason: string,
  ) {
    super('SY_PKI_KEY_DECRYPT', `cannot open encrypted key ${JSON.stringify(label)}: ${reason}`);
  }
}
