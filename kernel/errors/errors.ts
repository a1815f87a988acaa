import { ERROR_CODES, type ErrorCode } from './codes.js';

/** One problem found in a document, addressed by a path such as `spec.versions[1].weight`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n');
}

/** Base of every error Switchyard raises on purpose: a stable code plus a readable message. */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message };
  }
}

export class OptionError extends SwitchyardError {
  constructor(message: string) {
    super('SY_OPTION_INVALID', message);
  }
}

/** A file could not be read as a policy document at all (YAML syntax, wrong kind). */
export class PolicyParseError extends SwitchyardError {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super('SY_POLICY_PARSE', `${source}: ${message}`);
  }
}

/** A policy document parsed, but breaks rules; carries every issue at once. */
export class PolicyValidationError extends SwitchyardError {
  constructor(
    readonly source: string,
    readonly issues: readonly Issue[],
  ) {
    super('SY_POLICY_INVALID', `${source}: ${issues.length} problem(s)\n${formatIssues(issues)}`);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), source: this.source, issues: this.issues };
  }
}

export class PolicyConflictError extends SwitchyardError {
  constructor(message: string) {
    super('SY_POLICY_CONFLICT', message);
  }
}

/** A snapshot refers to resources it does not contain (xDS rule 5, docs/XDS.md). */
export class SnapshotInconsistentError extends SwitchyardError {
  constructor(
    readonly group: string,
    readonly issues: readonly Issue[],
  ) {
    super('SY_SNAPSHOT_INCONSISTENT', `snapshot for ${group} refused:\n${formatIssues(issues)}`);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), group: this.group, issues: this.issues };
  }
}

/** A generated resource breaks a protoc-gen-validate rule of Envoy's protos. */
export class ResourceValidationError extends SwitchyardError {
  constructor(
    readonly resource: string,
    readonly issues: readonly Issue[],
  ) {
    super('SY_RESOURCE_INVALID', `${resource}:\n${formatIssues(issues)}`);
  }
}

export class XdsTypeError extends SwitchyardError {
  constructor(readonly typeUrl: string) {
    super('SY_XDS_TYPE_UNKNOWN', `unknown xDS type URL ${JSON.stringify(typeUrl)}`);
  }
}

export class XdsProtocolError extends SwitchyardError {
  constructor(message: string) {
    super('SY_XDS_PROTOCOL', message);
  }
}

export class NotFoundError extends SwitchyardError {
  constructor(message: string) {
    super('SY_NOT_FOUND', message);
  }
}

export class UnavailableError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_UNAVAILABLE', message, options);
  }
}

/**
 * A broken internal invariant (a call out of order, code run where it cannot work): a bug,
 * never a user's mistake. The message names the invariant.
 */
export class InternalError extends SwitchyardError {
  constructor(message: string) {
    super('SY_INTERNAL', message);
  }
}

/** Wraps anything thrown that is not ours, so callers can always read a code. */
export function asSwitchyardError(err: unknown): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwitchyardError('SY_INTERNAL', message, { cause: err });
}

export class UnauthenticatedError extends SwitchyardError {
  constructor(message: string) {
    super('SY_UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends SwitchyardError {
  constructor(message: string) {
    super('SY_FORBIDDEN', message);
  }
}

export class RateLimitedError extends SwitchyardError {
  constructor(readonly retryAfterSeconds: number) {
    super('SY_RATE_LIMITED', `rate limit exceeded; retry after ${retryAfterSeconds} s`);
  }
}

export class QuotaExceededError extends SwitchyardError {
  constructor(message: string) {
    super('SY_QUOTA_EXCEEDED', message);
  }
}

export class IdempotencyKeyReusedError extends SwitchyardError {
  constructor(key: string) {
    super(
      'SY_IDEMPOTENCY_KEY_REUSED',
      `idempotency key ${JSON.stringify(key)} was already used for a different request`,
    );
  }
}

export class StoreError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_STORE', message, options);
  }
}

/** A listener's port is taken: the process cannot serve, so it says which port and exits. */
export class PortInUseError extends SwitchyardError {
  constructor(
    readonly what: string,
    readonly port: number,
  ) {
    super('SY_PORT_IN_USE', `${what} port ${port} is in use (EADDRINUSE)`);
  }
}

/** `switchyard wait`: a proxy NACKed the revision, or the policy is not served at all. */
export class SyncRejectedError extends SwitchyardError {
  constructor(message: string) {
    super('SY_SYNC_REJECTED', message);
  }
}

/** `switchyard wait`: the timeout passed with proxies still behind; the message lists them. */
export class SyncTimeoutError extends SwitchyardError {
  constructor(message: string) {
    super('SY_SYNC_TIMEOUT', message);
  }
}
