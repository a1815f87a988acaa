// Named errors of the PKI. Each maps to one stable code of kernel/errors/codes.ts, so the
// CSR endpoint can answer with the registry's HTTP status and operators can grep for the code.
import { SwitchyardError } from '../../kernel/errors/errors.js';

/** The CSR cannot be used at all: not PEM/DER, bad signature, weak or unknown key. */
export class CsrInvalidError extends SwitchyardError {
  constructor(reason: string) {
    super('SY_PKI_CSR_INVALID', `certificate signing request unusable: ${reason}`);
  }
}

/**
 * The CSR is well formed but asks for something the caller did not prove (the Consul
 * CVE-2022-40716 class). Every reason is listed, so the audit record is complete.
 */
export class CsrRefusedError extends SwitchyardError {
  constructor(
    readonly identity: string,
    readonly reasons: readonly string[],
  ) {
    super('SY_PKI_CSR_REFUSED', `CSR refused for ${identity}: ${reasons.join('; ')}`);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reasons: this.reasons };
  }
}

/** No identity proven: unknown, spent or expired token, or an untrusted client certificate. */
export class UnauthenticatedError extends SwitchyardError {
  constructor(reason: string) {
    super('SY_PKI_UNAUTHENTICATED', `not authenticated: ${reason}`);
  }
}

// The KEK's errors live with the KEK in kernel/crypto; re-exported so the PKI surface keeps them.
export { KekError, KeyDecryptError } from '../../kernel/crypto/errors.js';

export class CaError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_PKI_CA_INVALID', message, options);
  }
}

/**
 * An xDS stream was refused: its node id does not name the SPIFFE ID of its client certificate
 * (docs/SECURITY.md, "Node ids"), or that ID is not allowed on xDS. Closed with gRPC status
 * PERMISSION_DENIED (UNAUTHENTICATED when the stream proved no identity at all).
 */
export class XdsNodeIdentityError extends SwitchyardError {
  constructor(
    readonly nodeId: string,
    readonly identity: string | undefined,
    readonly reason: string,
  ) {
    super('SY_XDS_NODE_IDENTITY', `xDS stream of node ${JSON.stringify(nodeId)} refused: ${reason}`);
  }
}
