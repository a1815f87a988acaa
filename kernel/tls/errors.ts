// Named errors of the TLS helpers, with stable codes of the error registry (docs/ERRORS.md).
import { SwitchyardError } from '../errors/errors.js';

/** A SPIFFE ID string is malformed, or names a trust domain this CA does not serve. */
export class SpiffeIdError extends SwitchyardError {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super('SY_PKI_IDENTITY_INVALID', `invalid SPIFFE ID ${JSON.stringify(input)}: ${reason}`);
  }
}

/** A TLS peer presented a trusted chain, but not an identity on the allow-list. */
export class PeerRefusedError extends SwitchyardError {
  constructor(
    readonly peer: string | undefined,
    reason: string,
  ) {
    super('SY_PKI_PEER_REFUSED', `peer ${peer ?? '(no SPIFFE ID)'} refused: ${reason}`);
  }
}
