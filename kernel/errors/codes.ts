// The one registry of Switchyard's error codes. Every SwitchyardError carries one of these;
// docs/ERRORS.md documents each (a test keeps the two in step), and the admin API maps
// `httpStatus` onto its responses. Codes are stable: rename one only with a migration note.

export interface ErrorCodeInfo {
  /** HTTP status the admin API answers with. */
  readonly httpStatus: number;
  /** One line for docs and `switchyard` output. */
  readonly summary: string;
}

export const ERROR_CODES = {
  SY_OPTION_INVALID: { httpStatus: 400, summary: 'A command-line option or environment value is malformed.' },
  SY_POLICY_PARSE: { httpStatus: 400, summary: 'A policy file is not valid YAML or not a policy document.' },
  SY_POLICY_INVALID: {
    httpStatus: 422,
    summary: 'A policy failed validation; every problem is listed with its path.',
  },
  SY_POLICY_CONFLICT: {
    httpStatus: 409,
    summary: 'Two policies claim the same model, or a write lost a compare-and-set race.',
  },
  SY_SNAPSHOT_INCONSISTENT: {
    httpStatus: 500,
    summary: 'A snapshot names a cluster, route or endpoint set it does not contain; it was not published.',
  },
  SY_RESOURCE_INVALID: {
    httpStatus: 500,
    summary: "A generated xDS resource breaks a validation rule of Envoy's protos; it was not published.",
  },
  SY_XDS_TYPE_UNKNOWN: {
    httpStatus: 400,
    summary: 'An xDS request named a type URL this server does not serve.',
  },
  SY_XDS_PROTOCOL: {
    httpStatus: 400,
    summary: 'An xDS peer broke the protocol (for example, a delta request without a nonce on an ACK).',
  },
  SY_NOT_FOUND: { httpStatus: 404, summary: 'The requested object does not exist.' },
  SY_UNAVAILABLE: {
    httpStatus: 503,
    summary: 'A dependency (NATS, the admin server, a pod) cannot be reached.',
  },
  SY_PKI_IDENTITY_INVALID: {
    httpStatus: 400,
    summary: 'A SPIFFE ID is malformed or lies outside the trust domain.',
  },
  SY_PKI_CSR_INVALID: {
    httpStatus: 400,
    summary: 'A certificate signing request cannot be parsed, or its signature or key is unacceptable.',
  },
  SY_PKI_CSR_REFUSED: {
    httpStatus: 403,
    summary: "A CSR asks for names other than exactly the caller's proven identity; refused and audited.",
  },
  SY_PKI_UNAUTHENTICATED: {
    httpStatus: 401,
    summary:
      'The caller proved no identity: bootstrap token unknown, used or expired, or certificate untrusted.',
  },
  SY_PKI_PEER_REFUSED: {
    httpStatus: 403,
    summary: "A TLS peer's certificate does not carry an allowed SPIFFE identity.",
  },
  SY_PKI_KEK_INVALID: {
    httpStatus: 500,
    summary: 'No usable key-encryption key: the environment variable or key file is missing or too weak.',
  },
  SY_PKI_KEY_DECRYPT: {
    httpStatus: 500,
    summary: 'An encrypted key could not be opened: wrong key-encryption key, or the file was tampered with.',
  },
  SY_PKI_CA_INVALID: {
    httpStatus: 500,
    summary: 'CA material is missing, inconsistent or expired, or a rotation step is out of order.',
  },
  SY_XDS_NODE_IDENTITY: {
    httpStatus: 403,
    summary:
      "An xDS stream's node id does not name its client certificate's SPIFFE ID (or that ID is not allowed); closed.",
  },
  SY_MODEL_NOT_FOUND: {
    httpStatus: 404,
    summary: 'A pod does not serve the requested model or version.',
  },
  SY_MODEL_NOT_READY: {
    httpStatus: 503,
    summary: 'A pod knows the model version, but it is loading, failed to load or is being unloaded.',
  },
  SY_INJECTED_FAILURE: {
    httpStatus: 503,
    summary:
      'A pod failed the request on purpose (--inject-error-rate), for tests and demos; it counts as an error.',
  },
  SY_MODEL_LOAD: {
    httpStatus: 500,
    summary: 'A model version failed to load (file, config or runtime); the pod keeps serving the others.',
  },
  SY_MEMORY_LIMIT: {
    httpStatus: 507,
    summary: "A managed pod refused an assigned version: loading it would exceed the pod's --memory-limit.",
  },
  SY_MODEL_CONFIG: {
    httpStatus: 422,
    summary: "A model version's config.yaml is invalid; every problem is listed with its path.",
  },
  SY_INFER_INVALID: {
    httpStatus: 400,
    summary: 'An inference request does not match the model (tensor name, datatype, shape or byte length).',
  },
  SY_PAYLOAD_TOO_LARGE: { httpStatus: 413, summary: 'A request body is over the pod size limit.' },
  SY_OVERLOADED: {
    httpStatus: 429,
    summary: "A model's queue is full: the request was shed; retry after Retry-After, preferably elsewhere.",
  },
  SY_DEADLINE_EXCEEDED: {
    httpStatus: 504,
    summary: "A request's deadline passed before it could run; it was not run.",
  },
  SY_DRAINING: {
    httpStatus: 503,
    summary: 'The pod is draining and refuses new requests; retry on another pod.',
  },
  SY_INFERENCE_FAILED: { httpStatus: 500, summary: 'ONNX Runtime failed while running a batch.' },
  SY_UNAUTHENTICATED: {
    httpStatus: 401,
    summary: 'The admin API caller presented no valid credentials (client certificate, API key or JWT).',
  },
  SY_FORBIDDEN: {
    httpStatus: 403,
    summary: "The caller's roles do not allow this operation in this namespace.",
  },
  SY_RATE_LIMITED: {
    httpStatus: 429,
    summary: 'Too many mutating calls from one caller; retry after the time given in Retry-After.',
  },
  SY_IDEMPOTENCY_KEY_REUSED: {
    httpStatus: 422,
    summary: 'An idempotency key was reused for a different request.',
  },
  SY_LEASE_FENCED: {
    httpStatus: 409,
    summary:
      'A singleton write came from a replica that does not lead, or carried a fencing token a newer leader replaced.',
  },
  SY_STORE: { httpStatus: 503, summary: 'The policy store (NATS JetStream) refused or failed an operation.' },
  SY_ENDPOINT_MESSAGE_INVALID: {
    httpStatus: 400,
    summary: "A pod's NATS message cannot be decoded, or lacks what an endpoint needs; dropped and counted.",
  },
  SY_ENDPOINT_IDENTITY_MISMATCH: {
    httpStatus: 403,
    summary: "A pod's NATS message names another pod than its subject does; rejected and counted.",
  },
  SY_INTERNAL: { httpStatus: 500, summary: 'An unexpected failure; the message says where.' },
  SY_POD_ID_INVALID: {
    httpStatus: 400,
    summary: 'A pod id is not one NATS subject token ([A-Za-z0-9_-], 1 to 128 characters).',
  },
  SY_TLS_MATERIAL_INVALID: {
    httpStatus: 500,
    summary: 'A workload certificate directory holds no certificate, or one that proves no SPIFFE identity.',
  },
  SY_PORT_IN_USE: {
    httpStatus: 503,
    summary: 'A port the process must listen on is taken by another process; it exits non-zero.',
  },
  SY_MODEL_REPOSITORY: {
    httpStatus: 500,
    summary: 'The model repository is missing or holds no <model>/<version>/model.onnx; the pod exits.',
  },
  SY_QUOTA_EXCEEDED: {
    httpStatus: 403,
    summary: 'An apply would take a namespace over a quota (policies, versions or static endpoints).',
  },
  SY_ARTIFACT_INTEGRITY: {
    httpStatus: 500,
    summary:
      'A model artifact failed its integrity check: wrong data key, modified object, or a digest mismatch.',
  },
  SY_ARTIFACT_INVALID: {
    httpStatus: 422,
    summary:
      'A pushed model file cannot be loaded by ONNX Runtime, or is over the size bound; nothing was published.',
  },
  SY_VERSION_CONFLICT: {
    httpStatus: 409,
    summary: 'A registry version already exists with other content; versions are immutable.',
  },
  SY_PROMOTION_REFUSED: {
    httpStatus: 409,
    summary: "A stage change breaks the namespace's promotion policy; every failing rule is listed.",
  },
  SY_RESIDENCY_REFUSED: {
    httpStatus: 403,
    summary: "A model artifact was asked for from a region outside the version's allowed regions.",
  },
  SY_SYNC_REJECTED: {
    httpStatus: 409,
    summary:
      'A proxy NACKed the revision being waited for, or the policy is not served (a conflict, invalid resources).',
  },
  SY_SYNC_TIMEOUT: {
    httpStatus: 504,
    summary: 'The wait for proxies to ACK a revision ran out; the proxies still behind are listed.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
