// The admin HTTP server: /healthz, /metrics and /api/v1/*. It never shares a port with xDS.
import { createServer as createHttpServer, type Server } from 'node:http';
import {
  createServer as createHttpsServer,
  type ServerOptions as HttpsOptions,
  type Server as HttpsServer,
} from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { listenError } from '../../kernel/runtime/port-probe.js';
import type { AdminRoute } from './router.js';
import { Router } from './router.js';

export interface AdminServerOptions {
  readonly routes: readonly AdminRoute[];
  /** Serve HTTPS (and, with requestCert, mTLS) instead of plain HTTP. */
  readonly tls?: HttpsOptions;
}

export class AdminServer {
  private readonly server: Server;
  readonly router = new Router();

  constructor(private readonly opts: AdminServerOptions) {
    this.router.add(...opts.routes);
    const handler = (req: Parameters<Router['handle']>[0], res: Parameters<Router['handle']>[1]) =>
      void this.router.handle(req, res);
    this.server = opts.tls ? createHttpsServer(opts.tls, handler) : createHttpServer(handler);
    // Keep-alive connections would hold close() for their timeout.
    this.server.keepAliveTimeout = 5_000;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(listenError(err, 'admin', host, port));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * HTTPS only: a new certificate or trust bundle for new handshakes (the control plane's own
   * certificate renews, the CA rotates); open connections keep their sessions.
   */
  setSecureContext(options: SecureContextOptions): void {
    const https = this.server as Partial<Pick<HttpsServer, 'setSecureContext'>>;
    https.setSecureContext?.(options);
  }

  close(): Promise<void> {
    for (const r of this.opts.routes) r.close?.();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
