// The pod's named errors. Each carries a registry code (kernel/errors/codes.ts); the
// HTTP server answers with the code's status and the gRPC server maps the code onto a gRPC
// status (server/status.ts), so a proxy can tell "retry elsewhere" from "your request is wrong".
import { formatIssues, type Issue, SwitchyardError } from '../kernel/errors/errors.js';

export { formatIssues, type Issue, SwitchyardError };

export class ModelNotFoundError extends SwitchyardError {
  constructor(
    readonly model: string,
    readonly version?: string,
  ) {
    super(
      'SY_MODEL_NOT_FOUND',
      version
        ? `model ${JSON.stringify(model)} has no version ${JSON.stringify(version)}`
        : `unknown model ${JSON.stringify(model)}`,
    );
  }
}

export class ModelNotReadyError extends SwitchyardError {
  constructor(model: string, version: string, state: string) {
    super('SY_MODEL_NOT_READY', `model ${model} version ${version} is not ready (${state})`);
  }
}

/** --inject-error-rate chose this request to fail: a pod failure, as a crash would be. */
export class InjectedFailureError extends SwitchyardError {
  constructor(model: string, version: string, rate: number) {
    super(
      'SY_INJECTED_FAILURE',
      `injected failure: model ${model} version ${version} fails ${Math.round(rate * 1000) / 10} % of requests on purpose (--inject-error-rate)`,
    );
  }
}

/** A version that did not load: the reason goes into the registration, the pod keeps going. */
export class ModelLoadError extends SwitchyardError {
  constructor(
    readonly model: string,
    readonly version: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('SY_MODEL_LOAD', `model ${model} version ${version} failed to load: ${reason}`, options);
  }
}

/**
 * A version's config.yaml, or the config against the model's signature, does not hold. One
 * line (issues joined by "; "): it becomes the version's failure_reason in the registration.
 */
export class ModelConfigError extends SwitchyardError {
  constructor(
    readonly source: string | undefined,
    readonly issues: readonly Issue[],
  ) {
    const line = formatIssues(issues).replaceAll('\n', '; ');
    super('SY_MODEL_CONFIG', source ? `${source}: ${line}` : line);
  }
}

/** The request does not fit the model; `issues` name the fields (`inputs[0].shape`). */
export class InvalidInferenceError extends SwitchyardError {
  constructor(readonly issues: readonly Issue[]) {
    super('SY_INFER_INVALID', formatIssues(issues));
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

export class PayloadTooLargeError extends SwitchyardError {
  constructor(limitBytes: number, what = 'request body') {
    super('SY_PAYLOAD_TOO_LARGE', `${what} is over the limit of ${limitBytes} bytes`);
  }
}

export class OverloadedError extends SwitchyardError {
  constructor(
    readonly model: string,
    readonly version: string,
    readonly queueLimit: number,
    /** Whole seconds, for Retry-After. */
    readonly retryAfterSeconds: number,
  ) {
    super(
      'SY_OVERLOADED',
      `model ${model} version ${version}: queue is full (${queueLimit} waiting); retry in ${retryAfterSeconds}s`,
    );
  }
}

export class DeadlineExceededError extends SwitchyardError {
  constructor(where: string) {
    super('SY_DEADLINE_EXCEEDED', `deadline exceeded ${where}; the request was not run`);
  }
}

export class DrainingError extends SwitchyardError {
  constructor() {
    super('SY_DRAINING', 'the pod is draining and takes no new requests');
  }
}

export class InferenceFailedError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_INFERENCE_FAILED', message, options);
  }
}

/** The caller went away (gRPC cancel, HTTP socket closed) while the request waited. */
export class CancelledError extends SwitchyardError {
  constructor() {
    super('SY_UNAVAILABLE', 'request cancelled by the client before it ran');
  }
}

/** The repository cannot serve anything: the pod refuses to start (unless told to start empty). */
export class ModelRepositoryError extends SwitchyardError {
  constructor(message: string) {
    super('SY_MODEL_REPOSITORY', message);
  }
}

/** The workload certificate directory (--tls-dir) holds nothing the pod can serve with. */
export class TlsMaterialError extends SwitchyardError {
  constructor(message: string) {
    super('SY_TLS_MATERIAL_INVALID', message);
  }
}

/** A managed pod will not load an assigned version: it would not fit its --memory-limit. */
export class MemoryLimitError extends SwitchyardError {
  constructor(model: string, version: string, detail: string) {
    super('SY_MEMORY_LIMIT', `memory: model ${model} version ${version}: ${detail}`);
  }
}

/** A managed pod will not load an artifact whose allowed regions exclude its own. */
export class ResidencyRefusedError extends SwitchyardError {
  constructor(model: string, version: string, region: string, allowed: readonly string[]) {
    super(
      'SY_RESIDENCY_REFUSED',
      `residency: model ${model} version ${version} may load only in ${allowed.join(', ')}, this pod is in ${region}`,
    );
  }
}
