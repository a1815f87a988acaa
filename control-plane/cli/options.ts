// The control plane's commands' options, in one place (`certs` in certs-options.ts; `pod` in
// data-plane/cli/options.ts). The admin API listens on 18080, xDS on 18000.

// The options module only: the CLI's flag tables must not load the logger for every command.
import type { FlagSpecs } from '../../kernel/cli/flags.js';
import { LOG_FLAGS } from '../../kernel/log/options.js';

export const DEFAULT_XDS_PORT = 18000;
export const DEFAULT_ADMIN_PORT = 18080;

export const CONTROL_PLANE_FLAGS = {
  ...LOG_FLAGS,
  'policy-dir': {
    type: 'string',
    help: 'directory of ModelRoute YAML files, watched for changes',
    env: 'SWITCHYARD_POLICY_DIR',
  },
  nats: {
    type: 'url-list',
    help: 'NATS seed URLs for state and pod signals (docs/OPERATIONS.md, "Seeds")',
    env: 'SWITCHYARD_NATS_URL',
  },
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
  'store-prefix': {
    type: 'string',
    help: 'prefix of every KV bucket, stream and subject this installation owns, so several share one NATS',
    env: 'SWITCHYARD_STORE_PREFIX',
    default: 'switchyard',
  },
  'max-model-bytes': {
    type: 'int',
    help: 'largest model file the registry accepts on push (docs/REGISTRY.md)',
    default: 2 * 1024 ** 3 - 1,
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
    help: "key-encryption key file of --ca-dir's keys and the model registry's artifact keys; else $SWITCHYARD_PKI_KEK (a passphrase)",
    env: 'SWITCHYARD_PKI_KEK_FILE',
  },
  'ca-store': {
    type: 'string',
    help: 'where the CA and bootstrap tokens live: jetstream (default with --nats; every replica signs, --ca-dir seeds an empty bucket) or file',
    env: 'SWITCHYARD_CA_STORE',
  },
  'replica-name': {
    type: 'string',
    help: "this replica's name in the leader lease (default: host, pid and a random suffix)",
    env: 'SWITCHYARD_REPLICA_NAME',
  },
  'lease-ttl': {
    type: 'duration',
    help: 'with --nats: how long the leader lease lasts unrenewed (renewed every third of it)',
    default: 6000,
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
  wait: {
    type: 'bool',
    help: 'return once every connected proxy that uses each policy has ACKed its new revision',
  },
  timeout: { type: 'duration', help: 'with --wait: how long to wait for the ACKs', default: 30_000 },
} as const satisfies FlagSpecs;

/** `switchyard wait NAME --for acked`. */
export const WAIT_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  for: {
    type: 'string',
    help: 'the condition: acked (every connected proxy using it ACKed)',
    default: 'acked',
  },
  timeout: { type: 'duration', help: 'how long to wait before giving up', default: 30_000 },
  revision: {
    type: 'int',
    help: 'the revision to wait for (default: the live one); a later one also counts',
  },
} as const satisfies FlagSpecs;

/** `switchyard proxy-config NODE`: what the live server sends one node now. */
export const PROXY_CONFIG_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  type: { type: 'list', help: 'only these resource types: clusters,routes,listeners,endpoints,secrets' },
} as const satisfies FlagSpecs;

/** `switchyard analyze [-f DIR]`: cross-policy checks, before apply and against the live store. */
export const ANALYZE_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  filename: {
    type: 'list',
    short: 'f',
    help: 'policy files or directories to check as if applied (repeatable)',
  },
  offline: {
    type: 'bool',
    help: 'check only the files (-f), without the live store, endpoints and placement',
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

export const ROLLOUT_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  candidate: {
    type: 'string',
    help: 'rollout start: the version to roll out (default: spec.rollout.candidate)',
  },
  watch: { type: 'bool', short: 'w', help: 'rollout status: a live view, redrawn every second' },
  reason: { type: 'string', help: 'why: recorded in the audit trail' },
} as const satisfies FlagSpecs;

export const AUDIT_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  limit: { type: 'int', help: 'newest records to show (audit log)', default: 50 },
} as const satisfies FlagSpecs;

export const APIKEY_FLAGS = {
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

export const MODELS_FLAGS = {
  ...ADMIN_CLIENT_FLAGS,
  version: { type: 'string', help: 'push: the version to create (immutable once pushed)' },
  filename: { type: 'list', short: 'f', help: 'push: the ONNX model file' },
  // Replaces the CLI config file flag here: `models` reads that from $SWITCHYARD_CONFIG only.
  config: {
    type: 'string',
    help: 'push: a config.yaml stored with the version (the CLI config file: $SWITCHYARD_CONFIG)',
  },
  label: { type: 'list', help: 'push: a label k=v (repeatable)' },
  metric: { type: 'list', help: 'push: a metric k=v with a number value, e.g. auc=0.93 (repeatable)' },
  region: { type: 'list', help: 'push: a region the version may be stored and loaded in (repeatable)' },
  reason: { type: 'string', help: 'why: recorded in the audit trail' },
  stage: { type: 'string', help: 'approve: the stage the approval is for' },
  'policy-file': { type: 'string', help: 'policy set: the promotion policy (JSON or YAML)' },
} as const satisfies FlagSpecs;
