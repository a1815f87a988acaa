// A small standalone HTTPS server for the CSR routes, until the admin server mounts them (and for
// tests and `certs serve`). It serves under the control plane's own SPIFFE ID, requests client
// certificates without requiring them (token bootstrap), renews its own certificate at its
// renewAt, and follows CA changes: a new bundle or a new active generation reaches new handshakes
// at once through setSecureContext, while open connections continue.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { controlPlaneId, secureContextOptions } from '../../../kernel/tls/index.js';
import type { CertificateAuthority } from '../ca/authority.js';
import type { WorkloadIssuer } from '../issuance/issuer.js';
import { issueLocally } from '../issuance/local-issue.js';
import { csrRoutes } from './csr-routes.js';

export interface CsrServerOptions {
  readonly authority: CertificateAuthority;
  readonly issuer: WorkloadIssuer;
  readonly host?: string;
  readonly port?: number;
  /** Identity of the server's own certificate (default spiffe://<td>/ns/switchyard-system/sa/control-plane). */
  readonly serverIdentity?: string;
  /** Lifetime of the server's own certificate (default: the issuer's workload TTL). */
  readonly serverTtlMs?: number;
}

export interface CsrServer {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  /** Serial of the certificate new handshakes get. */
  servingSerial(): string;
  close(): Promise<void>;
}

export async function startCsrServer(o: CsrServerOptions): Promise<CsrServer> {
  const identity = o.serverIdentity ?? controlPlaneId(o.authority.trustDomain);
  const ttlMs = o.serverTtlMs ?? o.issuer.ttlMs;
  let current = await issueLocally(o.authority, identity, { ttlMs });
  const routes = csrRoutes({ authority: o.authority, issuer: o.issuer });
  const server = createServer(
    {
      ...secureContextOptions(current.material),
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const route = routes.find((r) => r.path === path);
      if (!route) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"code":"SY_NOT_FOUND","message":"no such path"}');
        return;
      }
      if (route.method !== req.method) {
        res.writeHead(405, { allow: route.method }).end();
        return;
      }
      void route.handle(req, res);
    },
  );
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const apply = () => server.setSecureContext(secureContextOptions(current.material));
  const reissue = async () => {
    if (closed) return;
    current = await issueLocally(o.authority, identity, { ttlMs });
    apply();
    schedule();
  };
  const schedule = () => {
    clearTimeout(timer);
    const wait = Math.max(0, current.renewAt.getTime() - Date.now());
    timer = setTimeout(() => void reissue().catch(() => schedule()), Math.min(wait, 2 ** 31 - 1));
    timer.unref();
  };
  schedule();
  const unsubscribe = o.authority.onChange((change) => {
    // A failed re-issue keeps the current certificate and retries on the renewal schedule.
    if (change.reason === 'activated') void reissue().catch(() => schedule());
    else {
      current = { ...current, material: current.material.withTrustBundle(change.bundle.pem) };
      apply();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host ?? '127.0.0.1';
  return {
    server,
    port,
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    servingSerial: () => current.serialNumber,
    async close() {
      closed = true;
      clearTimeout(timer);
      unsubscribe();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
