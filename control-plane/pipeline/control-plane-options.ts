// What the control plane is started with: ports, policy sources, the state store, security,
// translation and endpoint discovery settings. The CLI builds it from flags; tests build it
// directly.
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { NamespaceQuotas } from '../api/quotas.js';
import type { AuthConfig } from '../auth/auth-config.js';
import type { DiscoveryInput } from '../endpoints/index.js';
import type { NatsOptions } from '../store/nats-connection.js';
import type { TranslateOptions } from '../translate/index.js';
import type { XdsLimits } from '../xds/server/stream-limits.js';
import type { ControlPlanePkiOptions } from './control-plane-pki.js';
import type { ReplicaState } from './replica-state.js';

export interface ControlPlaneOptions {
  readonly policyDir?: string;
  /** Desired state in NATS JetStream; without it the policy directory is the only source. */
  readonly nats?: NatsOptions;
  /** JetStream replicas for the KV buckets and the audit stream (3 in production). */
  readonly storeReplicas?: number;
  /** Prefix of every bucket, stream and subject in JetStream (store-names.ts); "switchyard" by default. */
  readonly storePrefix?: string;
  readonly host: string;
  readonly xdsPort: number;
  readonly adminPort: number;
  /** The same API over gRPC (AdminService); off when undefined. */
  readonly adminGrpcPort?: number;
  readonly debounceQuietMs: number;
  readonly debounceMaxMs: number;
  /** Per-namespace quotas on applied policies (docs/OPERATIONS.md, "Limits and quotas"). */
  readonly quotas?: NamespaceQuotas;
  /** Streams per connection and per client, slow readers (docs/XDS.md, "Limits"). */
  readonly xdsLimits?: Partial<XdsLimits>;
  /** Without it every caller is admin (local development; a warning is logged). */
  readonly auth?: AuthConfig;
  /** Serve the admin API over HTTPS; with requestCert, client certificates authenticate. */
  readonly adminTls?: HttpsOptions;
  /** Translation knobs (gateway port, trust domain, secret names). */
  readonly translate?: Partial<TranslateOptions>;
  /** Endpoint discovery over the NATS connection (health, TTL, weights, overflow, coalescing). */
  readonly discovery?: DiscoveryInput;
  /**
   * Run the built-in CA (docs/SECURITY.md): xDS over mTLS (node id == certificate identity), SDS for
   * Envoy, the admin API over HTTPS with the CSR endpoint. Replaces adminTls.
   */
  readonly pki?: ControlPlanePkiOptions;
  /** Shared with other replicas (replica-state.ts): its NATS connection, lease and CA; closed on stop. */
  readonly replica?: ReplicaState;
  /**
   * The model registry (docs/REGISTRY.md) runs with a NATS store and this KEK, which seals each
   * artifact's data key; without one the /api/v1/models routes say what is missing.
   */
  readonly registry?: { readonly kek: KeyEncryptionKey; readonly maxModelBytes?: number };
  readonly log?: Logger;
}

export function defaultControlPlaneOptions(): ControlPlaneOptions {
  return { host: '127.0.0.1', xdsPort: 18000, adminPort: 18080, debounceQuietMs: 100, debounceMaxMs: 10_000 };
}
