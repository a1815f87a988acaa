// The control plane running its own CA (docs/SECURITY.md, "Delivery"): its serving certificate (renewed,
// and re-issued on rotation), xDS over mTLS with the stream admission and SDS of xds/sds/, the
// admin API over HTTPS with client certificates requested, and the CSR endpoint mounted there.
// control-plane.ts only asks this object for options, routes and callbacks.
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { ServerCredentials } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { Logger } from '../../kernel/log/index.js';
import { controlPlaneId, grpcServerCredentials, secureContextOptions } from '../../kernel/tls/index.js';
import type { AdminServer } from '../admin/admin-server.js';
import type { AdminRoute } from '../admin/router.js';
import {
  type AuditSink,
  adminCsrRoutes,
  type CertificateAuthority,
  ServingIdentity,
  type WorkloadIssuer,
} from '../pki/index.js';
import type { TranslateOptions } from '../translate/options.js';
import type { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { XdsSecurity } from '../xds/sds/xds-security.js';
import type { XdsServerOptions } from '../xds/server/ads-server.js';

/** Where Envoy finds its agent's files unless told otherwise (envoy/*.yaml use it too). */
export const DEFAULT_IDENTITY_DIR = '/etc/switchyard/tls';

export interface ControlPlanePkiOptions {
  readonly authority: CertificateAuthority;
  readonly issuer: WorkloadIssuer;
  /** SPIFFE IDs or prefixes (ending in "/") that may hold xDS streams; default the trust domain. */
  readonly xdsAllow?: readonly string[];
  /**
   * An extra plaintext xDS port for proxyless gRPC, which cannot do TLS to its xDS server
   * (grpc-js-xds 1.14): anonymous, gRPC flavor only, never any secret. Off when undefined.
   */
  readonly xdsInsecurePort?: number;
  /** Agent directory of an Envoy's identity on its host; {trustDomain} {namespace} {serviceAccount}. */
  readonly identityDir?: string;
  /** Lifetime of the control plane's own certificate (default: the issuer's workload TTL). */
  readonly servingTtlMs?: number;
}

export interface ControlPlanePkiDeps {
  readonly cache: SnapshotCache;
  readonly registry: Registry;
  readonly log: Logger;
  readonly translate: Pick<TranslateOptions, 'identitySecretName' | 'trustBundleSecretName'>;
}

/** PKI audit events into the control plane's log (they never carry keys or tokens). */
export function logAuditSink(log: Logger): AuditSink {
  return {
    record: (e) => {
      const { type, ...fields } = e;
      if (type === 'certificate.issued' || type === 'token.created' || type === 'ca.changed')
        log.info(`pki ${type}`, fields);
      else log.warn(`pki ${type}`, fields);
    },
  };
}

export class ControlPlanePki {
  readonly serving: ServingIdentity;
  readonly security: XdsSecurity;
  readonly authority: CertificateAuthority;
  private stopAdmin?: () => void;

  constructor(
    private readonly o: ControlPlanePkiOptions,
    deps: ControlPlanePkiDeps,
  ) {
    this.authority = o.authority;
    this.serving = new ServingIdentity(o.authority, {
      identity: controlPlaneId(o.authority.trustDomain),
      ttlMs: o.servingTtlMs ?? o.issuer.ttlMs,
      onError: (err) =>
        deps.log.error('control plane certificate renewal failed; retrying', {
          error: (err as Error).message,
        }),
    });
    this.security = new XdsSecurity({
      cache: deps.cache,
      authority: o.authority,
      ...(o.xdsAllow ? { allow: o.xdsAllow } : {}),
      anonymousGrpc: o.xdsInsecurePort !== undefined,
      identitySecretName: deps.translate.identitySecretName,
      trustBundleSecretName: deps.translate.trustBundleSecretName,
      identityDirTemplate: o.identityDir ?? DEFAULT_IDENTITY_DIR,
      registry: deps.registry,
      log: deps.log.child('xds-security'),
    });
  }

  get xdsInsecurePort(): number | undefined {
    return this.o.xdsInsecurePort;
  }

  /** The xDS server's credentials (client certificates required) and hooks. */
  xdsServerOptions(): Pick<XdsServerOptions, 'credentials' | 'admit' | 'groupOf' | 'filterFor'> {
    return {
      credentials: grpcServerCredentials(this.serving.provider, true),
      admit: this.security.admit,
      groupOf: this.security.groupOf,
      filterFor: this.security.filterFor,
    };
  }

  /** Issues the serving certificate; call before any listener opens. */
  start(): Promise<void> {
    return this.serving.start();
  }

  /** Admin HTTPS: client certificates requested (workloads, operators), not required (tokens, keys). */
  adminTls(): HttpsOptions {
    return {
      ...secureContextOptions(this.serving.material),
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    };
  }

  adminRoutes(): AdminRoute[] {
    return adminCsrRoutes({ issuer: this.o.issuer, authority: this.o.authority });
  }

  /** New serving material (renewal, rotation) reaches the admin server's new handshakes. */
  attachAdmin(admin: AdminServer): void {
    this.stopAdmin = this.serving.onUpdate((m) => admin.setSecureContext(secureContextOptions(m)));
  }

  /** The admin gRPC API under the same certificate; client certificates required, as before. */
  adminGrpcCredentials(): ServerCredentials {
    return grpcServerCredentials(this.serving.provider, true);
  }

  stop(): void {
    this.stopAdmin?.();
    this.serving.close();
    this.security.close();
  }
}
