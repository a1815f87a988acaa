// What a pod is started with: parsed from flags in data-plane/cli/options.ts, or given directly by
// tests and the demo. Defaults live with the flag parser, so every field here is decided.
import type { KeyEncryptionKey } from '../kernel/crypto/index.js';
import type { Logger } from '../kernel/log/index.js';
import type { PodAccessSource } from './access/index.js';
import type { DrainOptions } from './drain.js';
import type { ModelConfig } from './repository/config.js';
import type { GrpcTransport } from './server/grpc-front.js';
import type { KeepaliveOptions } from './server/keepalive-options.js';
import type { PodTlsOptions } from './server/pod-tls.js';
import type { PodXdsOptions } from './server/xds-server.js';
import type { TracingOptions } from './tracing/pod-tracer.js';

/** --managed: versions come from the control plane's assignments (docs/DATAPLANE.md). */
export interface ManagedPodOptions {
  readonly cacheDir: string;
  readonly memoryLimitBytes?: number;
  /**
   * --overcommit: the placer may assign up to this percent beyond memoryLimitBytes; the pod keeps
   * loaded versions within the limit (LRU unload, load on demand; docs/DATAPLANE.md).
   */
  readonly overcommitPercent?: number;
  /** The JetStream Object Store bucket of artifacts: `<store prefix>_artifacts`. */
  readonly bucket: string;
  readonly kek: KeyEncryptionKey;
}

export interface PodOptions {
  /** Undefined: no repository (a managed pod that serves only what is assigned). */
  readonly modelRepo?: string;
  readonly managed?: ManagedPodOptions;
  /** Start even when the repository holds no <model>/<version>/model.onnx (default: refuse). */
  readonly allowEmptyRepo?: boolean;
  /** Address the servers listen on. */
  readonly host: string;
  /** Address announced to the control plane; default: host, or this machine's IP for 0.0.0.0. */
  readonly advertiseAddress?: string;
  /** 0 picks a free port (tests). */
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly metricsPort: number;
  readonly nats?: {
    readonly url: string | readonly string[];
    readonly user?: string;
    readonly pass?: string;
  };
  readonly podId?: string;
  readonly region: string;
  readonly zone: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly heartbeatIntervalMs: number;
  readonly statsWindowMs: number;
  /** Defaults for every version's config.yaml. */
  readonly modelDefaults: ModelConfig;
  readonly disableBatching: boolean;
  /** A CPU version whose largest batch runs within this many ms runs inline (docs/DATAPLANE.md, "Runtime"); 0: never. */
  readonly inlineBudgetMs?: number;
  readonly injectDelayMs: number;
  /** Share of requests (0..1) failed on purpose with SY_INJECTED_FAILURE (tests, demos). */
  readonly injectErrorRate?: number;
  readonly reportGpu: boolean;
  /** Largest gRPC message or HTTP body with binary tensors; also caps maxJsonBodyBytes. */
  readonly maxBodyBytes: number;
  /** Largest JSON inference body over HTTP (docs/DATAPLANE.md, "Limits"). */
  readonly maxJsonBodyBytes: number;
  readonly drain: DrainOptions;
  readonly repoPollMs: number;
  readonly repoSettleMs: number;
  /**
   * The gRPC ports' server: grpc-js, or the pod's own on node:http2 (docs/DATAPLANE.md, "gRPC
   * transport"); default h2, and grpc-js for a pod with `xds` (its port is grpc-js-xds's).
   */
  readonly grpcTransport?: GrpcTransport;
  /**
   * Keepalive pings on every gRPC port's connections, either transport (--grpc-keepalive-time,
   * --grpc-keepalive-timeout; docs/DATAPLANE.md, "Keepalive"); default: 2 h, 20 s.
   */
  readonly grpcKeepalive?: KeepaliveOptions;
  /** Serve gRPC and HTTP over mTLS (STRICT or PERMISSIVE) from a `certs agent` directory. */
  readonly tls?: PodTlsOptions;
  /** The gRPC port as an xDS-managed server (gRFC A36): its mTLS mode and callers from the control plane. */
  readonly xds?: PodXdsOptions;
  /** OpenTelemetry tracing over OTLP (--otlp-endpoint); undefined: off, at no cost. */
  readonly tracing?: TracingOptions;
  /** Per-model access rules (docs/ACCESS.md, "At the pods"); absent: every caller is admitted. */
  readonly access?: PodAccessSource;
  readonly log?: Logger;
}
