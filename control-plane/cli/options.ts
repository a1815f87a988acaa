// Every command's options, in one place. The admin API listens on 18080, xDS on 18000.
import type { FlagSpecs } from './flags.js';

export const DEFAULT_XDS_PORT = 18000;
export const DEFAULT_ADMIN_PORT = 18080;

export const CONTROL_PLANE_FLAGS = {
  'policy-dir': {
    type: 'string',
    help: 'directory of ModelRoute YAML files, watched for changes',
    env: 'SWITCHYARD_POLICY_DIR',
  },
  nats: { type: 'url', help: 'NATS server URL for state and pod signals', env: 'SWITCHYARD_NATS_URL' },
  'nats-user': {
    type: 'string',
    help: 'NATS user (explicit users only: CVE-2023-47090)',
    env: 'SWITCHYARD_NATS_USER',
  },
  'nats-password': { type: 'string', help: 'NATS password', env: 'SWITCHYARD_NATS_PASSWORD' },
  'store-replicas': {
    type: 'int',
    help: 'JetStream replicas of the policy store and audit trail',
    default: 1,
  },
  'auth-config': {
    type: 'string',
    help: 'admin API authentication and RBAC (YAML); without it everyone is admin',
    env: 'SWITCHYARD_AUTH_CONFIG',
  },
  'admin-tls-cert': { type: 'string', help: 'serve the admin API over HTTPS with this certificate (PEM)' },
  'admin-tls-key': { type: 'string', help: 'private key (PEM) of --admin-tls-cert' },
  'admin-tls-ca': {
    type: 'string',
    help: 'CA bundle (PEM) that client certificates must chain to (enables mTLS)',
  },
  'ca-dir': {
    type: 'string',
    help: 'run the built-in CA in this directory (certs ca init): xDS and admin over mTLS, SDS, CSR endpoint',
    env: 'SWITCHYARD_CA_DIR',
  },
  'kek-file': {
    type: 'string',
    help: "key-encryption key file of --ca-dir's keys; else $SWITCHYARD_PKI_KEK (a passphrase)",
    env: 'SWITCHYARD_PKI_KEK_FILE',
  },
  'workload-ttl': {
    type: 'duration',
    help: 'lifetime of certificates the CSR endpoint issues (renewed at half-life)',
    default: 86_400_000,
  },
  'xds-allow': {
    type: 'list',
    help: 'SPIFFE IDs or prefixes (ending in /) allowed to hold xDS streams (default: the trust domain)',
  },
  'xds-insecure-port': {
    type: 'port',
    help: 'with --ca-dir: an extra plaintext xDS port for proxyless gRPC only (anonymous, never secrets)',
  },
  'sds-identity-dir': {
    type: 'string',
    help: "an Envoy's agent directory on its host, for SDS file secrets ({namespace}, {serviceAccount}, {trustDomain})",
    default: '/etc/switchyard/tls',
  },
  'xds-port': { type: 'port', help: 'ADS gRPC port', env: 'SWITCHYARD_XDS_PORT', default: DEFAULT_XDS_PORT },
  'quota-policies': { type: 'int', help: 'policies one namespace may hold', default: 100 },
  'quota-versions': { type: 'int', help: 'versions all policies of one namespace may hold', default: 400 },
  'quota-endpoints': {
    type: 'int',
    help: 'static endpoints all policies of one namespace may hold',
    default: 4096,
  },
  'xds-max-streams-per-connection': {
    type: 'int',
    help: 'HTTP/2 max concurrent streams on one xDS connection',
    default: 100,
  },
  'xds-max-streams-per-client': {
    type: 'int',
    help: 'ADS streams one client (certificate identity, else node id) may hold; more are refused',
    default: 32,
  },
  'xds-slow-reader-timeout': {
    type: 'duration',
    help: 'close an ADS stream whose responses stay unread this long',
    default: 60_000,
  },
  'admin-port': {
    type: 'port',
    help: 'admin HTTP port',
    env: 'SWITCHYARD_ADMIN_PORT',
    default: DEFAULT_ADMIN_PORT,
  },
  'admin-grpc-port': {
    type: 'port',
    help: 'admin API over gRPC (switchyard.admin.v1.AdminService)',
    env: 'SWITCHYARD_ADMIN_GRPC_PORT',
    default: 18081,
  },
  host: { type: 'string', help: 'address to listen on', env: 'SWITCHYARD_HOST', default: '127.0.0.1' },
  'gateway-port': { type: 'port', help: 'port of the Envoy gateway listener it configures', default: 10000 },
  'gateway-route-matcher': {
    type: 'string',
    help: "the gateway's catch-all virtual host: tree (matcher tree, Envoy 1.33+), list (route list), or auto (a tree from 100 routes)",
    default: 'auto',
  },
  'gateway-mtls': {
    type: 'bool',
    help: 'the gateway listener requires client workload certificates (SDS identity and trust bundle)',
  },
  'gateway-client-id': {
    type: 'list',
    help: 'with --gateway-mtls: SPIFFE IDs allowed to call the gateway (default: any of the trust bundle)',
  },
  'debounce-quiet': { type: 'duration', help: 'quiet time before a push', default: 100 },
  'debounce-max': { type: 'duration', help: 'longest a push waits during a burst', default: 10_000 },
  'heartbeat-misses': {
    type: 'int',
    help: 'missed pod heartbeat intervals before an endpoint is UNHEALTHY (out of EDS)',
    default: 3,
  },
  'endpoint-ttl': { type: 'duration', help: 'silence after which a pod is forgotten', default: 30_000 },
  'eds-debounce-quiet': { type: 'duration', help: 'quiet time before an endpoint push', default: 100 },
  'eds-debounce-max': {
    type: 'duration',
    help: 'longest an endpoint push waits during a burst of heartbeats',
    default: 1000,
  },
  weights: {
    type: 'string',
    help: 'endpoint weights: adaptive (auto-tuner) or equal (plain round robin)',
    default: 'adaptive',
  },
  'overflow-enter': {
    type: 'int',
    help: 'gpu-overflow-cpu: GPU utilization % at which CPU endpoints take traffic',
    default: 80,
  },
  'overflow-exit': {
    type: 'int',
    help: 'gpu-overflow-cpu: GPU utilization % at which they stop again',
    default: 50,
  },
  help: { type: 'bool', short: 'h', help: 'show this help' },
} as const satisfies FlagSpecs;

/**
 * Flags shared by every command that talks to a running control plane's admin API. Connection
 * settings come from flags, then the environment, then the config file
 * ($SWITCHYARD_CONFIG or ~/.config/switchyard/config.yaml), then the defaults.
 */
export const ADMIN_CLIENT_FLAGS = {
  server: {
    type: 'url',
    help: `admin API base URL (default http://127.0.0.1:${DEFAULT_ADMIN_PORT})`,
    env: 'SWITCHYARD_SERVER',
  },
  token: { type: 'string', help: 'OAuth 2.0 bearer token (JWT)', env: 'SWITCHYARD_TOKEN' },
  'api-key': { type: 'string', help: 'API key', env: 'SWITCHYARD_API_KEY' },
  ca: {
    type: 'string',
    help: 'CA bundle (PEM) that signs the admin server certificate',
    env: 'SWITCHYARD_CA',
  },
  cert: { type: 'string', help: 'client certificate (PEM) for mTLS', env: 'SWITCHYARD_CERT' },
  key: { type: 'string', help: 'client private key (PEM) for mTLS', env: 'SWITCHYARD_KEY' },
  config: { type: 'string', help: 'CLI config file', env: 'SWITCHYARD_CONFIG' },
  namespace: {
    type: 'string',
    short: 'n',
    help: 'namespace (default "default")',
    env: 'SWITCHYARD_NAMESPACE',
  },
  output: { type: 'string', short: 'o', help: 'output format: table, json or yaml', default: 'table' },
  help: { type: 'bool', short: 'h', help: 'show this help' },
} as const satisfies FlagSpecs;

export const APPLY_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  filename: { type: 'list', short: 'f', help: 'policy file or directory (repeatable)' },
  reason: { type: 'string', help: 'why: recorded in the history and the audit trail' },
  'idempotency-key': { type: 'string', help: 'retries with the same key apply at most once' },
  'auto-rollback': { type: 'bool', help: 'restore the previous revision if proxies NACK this one' },
  'dry-run': {
    type: 'bool',
    help: 'run every server-side check and print what would happen; nothing is stored',
  },
} as const satisfies FlagSpecs;

export const DIFF_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  filename: { type: 'list', short: 'f', help: 'policy file or directory (repeatable)' },
} as const satisfies FlagSpecs;

export const DELETE_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  reason: { type: 'string', help: 'why: recorded in the history and the audit trail' },
} as const satisfies FlagSpecs;

export const ROLLBACK_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  to: {
    type: 'int',
    help: 'the revision to restore, as numbered by `switchyard history` (default: the one before the live one)',
  },
  reason: { type: 'string', help: 'why: recorded in the history and the audit trail' },
} as const satisfies FlagSpecs;

export const AUDIT_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  limit: { type: 'int', help: 'newest records to show (audit log)', default: 50 },
} as const satisfies FlagSpecs;

export const APIKEY_FLAGS = {
  help: { type: 'bool', short: 'h', help: 'show this help' },
} as const satisfies FlagSpecs;

/** `switchyard pod`: a data-plane pod (KServe v2 over gRPC and HTTP, ONNX Runtime workers). */
export const POD_FLAGS = {
  'model-repo': {
    type: 'string',
    help: 'model repository: <dir>/<model>/<version>/model.onnx (+ config.yaml), watched',
    env: 'SWITCHYARD_MODEL_REPO',
    required: true,
  },
  'allow-empty-repo': {
    type: 'bool',
    help: 'start even when the model repository holds no <model>/<version>/model.onnx yet',
  },
  nats: {
    type: 'url',
    help: 'NATS URL for registration and heartbeats (none: standalone)',
    env: 'SWITCHYARD_NATS_URL',
  },
  'nats-user': { type: 'string', help: 'NATS user', env: 'SWITCHYARD_NATS_USER' },
  'nats-password': { type: 'string', help: 'NATS password', env: 'SWITCHYARD_NATS_PASSWORD' },
  host: { type: 'string', help: 'address to listen on', env: 'SWITCHYARD_POD_HOST', default: '127.0.0.1' },
  'advertise-address': { type: 'string', help: 'address announced to the control plane (default: --host)' },
  'http-port': { type: 'port', help: 'KServe v2 HTTP/REST port', env: 'SWITCHYARD_HTTP_PORT', default: 8000 },
  'grpc-port': {
    type: 'port',
    help: 'KServe v2 gRPC and grpc.health.v1 port',
    env: 'SWITCHYARD_GRPC_PORT',
    default: 8001,
  },
  'metrics-port': {
    type: 'port',
    help: 'Prometheus /metrics port',
    env: 'SWITCHYARD_METRICS_PORT',
    default: 8002,
  },
  'pod-id': {
    type: 'string',
    help: 'pod id, [A-Za-z0-9_-] (default: host-pid-random)',
    env: 'SWITCHYARD_POD_ID',
  },
  region: {
    type: 'string',
    help: 'region reported in registration',
    env: 'SWITCHYARD_REGION',
    default: 'local',
  },
  zone: { type: 'string', help: 'zone reported in registration', env: 'SWITCHYARD_ZONE', default: 'local-a' },
  label: { type: 'list', help: 'key=value labels for registration (repeatable)' },
  'heartbeat-interval': { type: 'duration', help: 'time between heartbeats', default: 1000 },
  'stats-window': {
    type: 'duration',
    help: 'window of the latency and error figures in heartbeats',
    default: 10_000,
  },
  'max-batch-size': {
    type: 'int',
    help: 'default max_batch_size of versions without one in config.yaml',
    default: 64,
  },
  'max-queue-delay': {
    type: 'duration',
    help: 'default max_queue_delay (wait for a fuller batch)',
    default: 0,
  },
  'queue-limit': {
    type: 'int',
    help: 'default queue_limit: queued requests beyond it are shed',
    default: 256,
  },
  instances: { type: 'int', help: 'default instance_count: session worker threads per version', default: 1 },
  'execution-provider': {
    type: 'string',
    help: 'default execution provider: cpu or cuda (falls back to cpu)',
    env: 'SWITCHYARD_EXECUTION_PROVIDER',
    default: 'cpu',
  },
  'intra-op-threads': {
    type: 'int',
    help: 'default ONNX Runtime intra-op threads (0: one per core)',
    default: 0,
  },
  'inter-op-threads': {
    type: 'int',
    help: 'default ONNX Runtime inter-op threads (0: runtime default)',
    default: 0,
  },
  'graph-optimization': {
    type: 'string',
    help: 'default graph optimization: disabled, basic, extended, all',
    default: 'all',
  },
  'disable-batching': { type: 'bool', help: 'run every request alone, whatever config.yaml says' },
  'inject-delay-ms': {
    type: 'int',
    help: 'extra milliseconds per run, to play a slow pod in tests',
    default: 0,
  },
  'report-gpu': {
    type: 'bool',
    help: 'report a (simulated) GPU in registration and heartbeats, for routing tests',
  },
  'max-body-bytes': {
    type: 'int',
    help: 'largest gRPC message or request body (binary tensors)',
    default: 64 * 1024 * 1024,
  },
  'max-json-body-bytes': {
    type: 'int',
    help: 'largest JSON inference body over HTTP (refused with 413 while streaming, before parsing)',
    default: 8 * 1024 * 1024,
  },
  'drain-grace': {
    type: 'duration',
    help: 'after SIGTERM, how long new requests are still admitted',
    default: 5000,
  },
  'drain-timeout': {
    type: 'duration',
    help: 'after the grace, how long in-flight requests may take',
    default: 30_000,
  },
  'repo-poll': { type: 'duration', help: 'model repository scan interval', default: 1000 },
  'repo-settle': {
    type: 'duration',
    help: 'how long a new model file must stay unchanged before it loads',
    default: 500,
  },
  'tls-dir': {
    type: 'string',
    help: 'workload certificate directory kept by `certs agent` (enables --mtls, default STRICT)',
    env: 'SWITCHYARD_TLS_DIR',
  },
  mtls: {
    type: 'string',
    help: 'STRICT (mTLS only), PERMISSIVE (mTLS and plaintext) or DISABLE (plaintext)',
    env: 'SWITCHYARD_MTLS',
  },
  'allow-client': {
    type: 'list',
    help: 'client SPIFFE IDs or prefixes ending in / (default: the trust domain of the pod)',
  },
  'tls-reload': {
    type: 'duration',
    help: 'longest time before a changed certificate in --tls-dir is noticed',
    default: 1000,
  },
  help: { type: 'bool', short: 'h', help: 'show this help' },
} as const satisfies FlagSpecs;

/** `switchyard config-dump`: the resources a node would receive, translated offline. */
export const CONFIG_DUMP_FLAGS = {
  'node-flavor': { type: 'string', help: 'which client to translate for: envoy or grpc', default: 'envoy' },
  'policy-dir': {
    type: 'string',
    help: 'directory of ModelRoute YAML files (*.yaml, *.yml)',
    env: 'SWITCHYARD_POLICY_DIR',
    required: true,
  },
  type: { type: 'list', help: 'only these resource types: listeners,routes,clusters,endpoints,secrets' },
  'gateway-port': { type: 'port', help: 'port of the Envoy gateway listener', default: 10000 },
  'trust-domain': { type: 'string', help: 'SPIFFE trust domain of the pods', default: 'switchyard.local' },
  help: { type: 'bool', short: 'h', help: 'show this help' },
} as const satisfies FlagSpecs;

/** `switchyard certs ...`: the built-in CA, bootstrap tokens, the CSR server and the agent. */
const CA_DIR = {
  type: 'string',
  help: 'directory of the CA (ca.json, sealed keys, tokens/)',
  env: 'SWITCHYARD_CA_DIR',
  required: true,
} as const;
const KEK_FILE = {
  type: 'string',
  help: 'key-encryption key file (>= 32 random bytes); else $SWITCHYARD_PKI_KEK (a passphrase)',
  env: 'SWITCHYARD_PKI_KEK_FILE',
} as const;
const CERTS_HELP = { type: 'bool', short: 'h', help: 'show this help' } as const;

export const CERTS_CA_INIT_FLAGS = {
  'ca-dir': CA_DIR,
  'kek-file': { ...KEK_FILE, help: `${KEK_FILE.help}; created (32 random bytes) when missing` },
  'trust-domain': {
    type: 'string',
    help: 'SPIFFE trust domain',
    env: 'SWITCHYARD_TRUST_DOMAIN',
    default: 'switchyard.local',
  },
  'operator-chain': { type: 'string', help: "PEM file: the operator's issuing certificate up to its root" },
  'operator-key': { type: 'string', help: "PEM file: the operator's issuing private key" },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

/** `certs ca show|prepare|activate|rotate|drop`. */
export const CERTS_CA_FLAGS = {
  'ca-dir': CA_DIR,
  'kek-file': KEK_FILE,
  generation: { type: 'string', help: 'for drop: generation id or root SHA-256 fingerprint' },
  bundle: { type: 'bool', help: 'for show: print only the trust bundle (PEM)' },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

export const CERTS_TOKEN_FLAGS = {
  'ca-dir': CA_DIR,
  identity: { type: 'string', help: 'SPIFFE ID the token proves', required: true },
  ttl: { type: 'duration', help: 'how long the token stays redeemable', default: 3_600_000 },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

export const CERTS_ISSUE_FLAGS = {
  'ca-dir': CA_DIR,
  'kek-file': KEK_FILE,
  identity: { type: 'string', help: 'SPIFFE ID of the certificate', required: true },
  dir: {
    type: 'string',
    help: 'directory to write certificate.pem, private_key.pem, ca_certificate.pem',
    required: true,
  },
  ttl: { type: 'duration', help: 'certificate lifetime', default: 86_400_000 },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

export const CERTS_SERVE_FLAGS = {
  'ca-dir': CA_DIR,
  'kek-file': KEK_FILE,
  host: { type: 'string', help: 'address to listen on', default: '127.0.0.1' },
  port: { type: 'port', help: 'HTTPS port of the CSR endpoint', env: 'SWITCHYARD_CSR_PORT', default: 18443 },
  ttl: { type: 'duration', help: 'lifetime of workload certificates', default: 86_400_000 },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

export const CERTS_AGENT_FLAGS = {
  identity: { type: 'string', help: 'SPIFFE ID to hold, spiffe://<td>/ns/<ns>/sa/<sa>', required: true },
  dir: { type: 'string', help: 'directory for the file_watcher files', required: true },
  server: {
    type: 'url',
    help: 'https URL of the CSR endpoint',
    env: 'SWITCHYARD_CSR_SERVER',
    required: true,
  },
  token: { type: 'string', help: 'one-time bootstrap token', env: 'SWITCHYARD_BOOTSTRAP_TOKEN' },
  'token-file': { type: 'string', help: 'file holding the bootstrap token (read when needed)' },
  'ca-file': { type: 'string', help: 'PEM roots that verify the server on first contact' },
  'server-id': {
    type: 'list',
    help: 'SPIFFE IDs or prefixes the server may present (default: control plane)',
  },
  'bundle-refresh': { type: 'duration', help: 'how often to fetch the trust bundle', default: 60_000 },
  once: { type: 'bool', help: 'exit once a valid certificate is in place' },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;
