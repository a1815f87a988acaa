// `switchyard pod`'s options, in one place: parsed here, turned into PodOptions by pod.ts.
import type { FlagSpecs } from '../../kernel/cli/flags.js';
import { LOG_FLAGS } from '../../kernel/log/options.js';
import { DEFAULT_KEEPALIVE } from '../server/keepalive-options.js';

/** `switchyard pod`: a data-plane pod (KServe v2 over gRPC and HTTP, ONNX Runtime workers). */
export const POD_FLAGS = {
  ...LOG_FLAGS,
  'model-repo': {
    type: 'string',
    help: 'model repository: <dir>/<model>/<version>/model.onnx (+ config.yaml), watched',
    env: 'SWITCHYARD_MODEL_REPO',
  },
  managed: {
    type: 'bool',
    help: 'load the model versions the control plane assigns (needs --nats; --model-repo optional)',
  },
  'cache-dir': {
    type: 'string',
    help: 'managed: where verified, decrypted artifacts are kept between loads (default: <tmp>/switchyard-artifacts)',
    env: 'SWITCHYARD_CACHE_DIR',
  },
  'memory-limit': {
    type: 'string',
    help: 'managed: refuse loads that would take measured model memory past this (512Mi, 2Gi, bytes)',
    env: 'SWITCHYARD_MEMORY_LIMIT',
  },
  overcommit: {
    type: 'int',
    help: 'managed, with --memory-limit: let the placer assign up to this percent more than the limit; the pod loads on demand and unloads idle versions, least recently used first (default 0: off)',
    env: 'SWITCHYARD_OVERCOMMIT',
  },
  'kek-file': {
    type: 'string',
    help: 'managed: key-encryption key file that unseals artifact data keys (default: $SWITCHYARD_PKI_KEK_FILE, $SWITCHYARD_PKI_KEK)',
  },
  'store-prefix': {
    type: 'string',
    help: "managed: the control plane's --store-prefix; artifacts are in the Object Store <prefix>_artifacts",
    env: 'SWITCHYARD_STORE_PREFIX',
    default: 'switchyard',
  },
  'allow-empty-repo': {
    type: 'bool',
    help: 'start even when the model repository holds no <model>/<version>/model.onnx yet',
  },
  nats: {
    type: 'url-list',
    help: 'NATS seed URLs for registration and heartbeats (none: standalone)',
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
  'grpc-transport': {
    type: 'string',
    help: "the gRPC ports' server: h2 (the pod's own on node:http2, docs/DATAPLANE.md) or grpc-js (default: h2; grpc-js with --xds-server, whose port is always grpc-js)",
    env: 'SWITCHYARD_GRPC_TRANSPORT',
  },
  'grpc-keepalive-time': {
    type: 'duration',
    help: 'ping each gRPC connection this long after it opened and after each answered ping (either transport; 0: never); 10ms..596h',
    env: 'SWITCHYARD_GRPC_KEEPALIVE_TIME',
    default: DEFAULT_KEEPALIVE.timeMs,
  },
  'grpc-keepalive-timeout': {
    type: 'duration',
    help: 'drop a gRPC connection whose keepalive ping is not answered within this; 10ms..596h',
    env: 'SWITCHYARD_GRPC_KEEPALIVE_TIMEOUT',
    default: DEFAULT_KEEPALIVE.timeoutMs,
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
  'inline-budget-ms': {
    type: 'string',
    help: 'a CPU version whose largest batch runs within this many ms runs on the main thread, not a worker (0: never)',
    default: '1',
  },
  'inject-delay-ms': {
    type: 'int',
    help: 'extra milliseconds per run, to play a slow pod in tests',
    default: 0,
  },
  'inject-error-rate': {
    type: 'string',
    help: 'share of requests (0..1) that fail on purpose with UNAVAILABLE / 503 "injected", for tests and demos',
    default: '0',
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
  'xds-server': {
    type: 'string',
    help: "HOST:PORT of the control plane's plaintext xDS port: the gRPC port becomes an xDS-managed server (gRFC A36) whose mTLS mode and allowed callers come from the control plane; its certificates from --tls-dir",
    env: 'SWITCHYARD_XDS_SERVER',
  },
  'otlp-endpoint': {
    type: 'string',
    help: 'trace requests with OpenTelemetry, exported over OTLP/HTTP protobuf to this URL (http://host:4318 gets /v1/traces); default: off',
    env: 'SWITCHYARD_OTLP_ENDPOINT',
  },
  'trace-sampling': {
    type: 'string',
    help: "share (0..1) of requests without a caller's sampling decision that are traced",
    env: 'SWITCHYARD_TRACE_SAMPLING',
    default: '1',
  },
  'access-file': {
    type: 'string',
    help: 'without --nats: ModelRoute YAML whose spec.access rules the pod enforces (docs/ACCESS.md); with --nats the control plane sends them',
    env: 'SWITCHYARD_ACCESS_FILE',
  },
  help: { type: 'bool', short: 'h', help: 'show this help' },
} as const satisfies FlagSpecs;
