// A managed pod serves each managed version on a gRPC port of its own, and an HTTP port of its
// own when the pod serves REST, as well as on the pod's ports. A proxyless request names the
// model, not the version (the client cannot know which cluster its weighted split picked), and
// so does a REST path through Envoy's gateway, so on the shared ports it gets the newest ready
// version; on a version's own ports it gets that version. The registration reports the ports
// per version and the control plane puts them in that version's EDS (gRPC and REST clusters),
// so a split between two versions of one model that the placer co-locates on one pod reaches
// each version (docs/PLACEMENT.md, "A port per version"). The ports open before the version
// loads (they are in the registration with the first READY) and close after it is unloaded.
import type { Server as HttpServer } from 'node:http';
import type { Logger } from '../../kernel/log/index.js';
import type { AccessEnforcer } from '../access/index.js';
import { type GrpcFront, type GrpcTransport, grpcServerMaker } from '../server/grpc-front.js';
import { bindGrpc, createGrpcServer } from '../server/grpc-server.js';
import type { HealthService } from '../server/health.js';
import { createHttpServer, listenHttp } from '../server/http-server.js';
import type { KeepaliveOptions } from '../server/keepalive-options.js';
import { LoadReporter } from '../server/orca.js';
import type { PodTls } from '../server/pod-tls.js';
import type { InferenceService } from '../serving/inference-service.js';
import type { RequestScopes } from '../tracing/request-scope.js';

export interface VersionPortsOptions {
  readonly host: string;
  readonly maxMessageBytes: number;
  readonly log: Logger;
  /**
   * The same access rules and request scopes as the pod's own port: a version's port must never
   * be a way around them (docs/ACCESS.md, "At the pods").
   */
  readonly access: () => AccessEnforcer | undefined;
  readonly scopes?: RequestScopes;
  /** The pod's gRPC transport (server/grpc-front.ts). */
  readonly transport: GrpcTransport;
  /** The pod's gRPC keepalive (server/keepalive-options.ts); absent: its default. */
  readonly keepalive?: KeepaliveOptions;
  /** The pod's REST body limits; absent: versions get no HTTP port of their own. */
  readonly http?: { readonly maxBodyBytes: number; readonly maxJsonBodyBytes: number };
}

interface Open {
  readonly port: number;
  readonly server: GrpcFront;
  /** The port's ORCA reporter: its streams end only when their clients go, or at close. */
  readonly load: LoadReporter;
  readonly closeTls?: () => Promise<void>;
  readonly http?: {
    readonly port: number;
    readonly server: HttpServer;
    readonly closeTls?: () => Promise<void>;
  };
}

const keyOf = (model: string, version: string) => `${model}/${version}`;

export class VersionPorts {
  private readonly open = new Map<string, Promise<Open>>();
  private readonly ports = new Map<string, number>();
  private readonly httpPorts = new Map<string, number>();

  constructor(
    private readonly svc: InferenceService,
    private readonly health: HealthService,
    private readonly tls: () => PodTls | undefined,
    private readonly opts: VersionPortsOptions,
  ) {}

  /** The version's own port, or undefined when it has none (yet). */
  portOf(model: string, version: string): number | undefined {
    return this.ports.get(keyOf(model, version));
  }

  /** The version's own HTTP port, or undefined when it has none (yet). */
  httpPortOf(model: string, version: string): number | undefined {
    return this.httpPorts.get(keyOf(model, version));
  }

  /** Opens the version's port on a free port; resolves with it (the same one when already open). */
  ensure(model: string, version: string): Promise<number> {
    const key = keyOf(model, version);
    let p = this.open.get(key);
    if (!p) {
      p = this.bind(model, version);
      this.open.set(key, p);
      p.then(
        (o) => {
          this.ports.set(key, o.port);
          if (o.http) this.httpPorts.set(key, o.http.port);
        },
        () => this.open.delete(key),
      );
    }
    return p.then((o) => o.port);
  }

  private async bind(model: string, version: string): Promise<Open> {
    const access = this.opts.access();
    const load = new LoadReporter();
    const server = createGrpcServer(
      this.svc,
      this.health,
      {
        maxMessageBytes: this.opts.maxMessageBytes,
        load,
        pin: { model, version },
        keepalive: this.opts.keepalive,
        ...(this.opts.scopes ? { scopes: this.opts.scopes } : {}),
        ...(access ? { access } : {}),
      },
      grpcServerMaker(this.opts.transport),
    );
    const tls = this.tls();
    const grpc = tls
      ? await tls.openGrpc(server, this.opts.host, 0)
      : { port: await bindGrpc(server, this.opts.host, 0), close: undefined };
    const http = await this.bindHttp(model, version, tls).catch(async (err: unknown) => {
      await grpc.close?.();
      server.forceShutdown();
      throw err;
    });
    return {
      port: grpc.port,
      server,
      load,
      ...(grpc.close ? { closeTls: grpc.close } : {}),
      ...(http ? { http } : {}),
    };
  }

  private async bindHttp(model: string, version: string, tls: PodTls | undefined): Promise<Open['http']> {
    const limits = this.opts.http;
    if (!limits) return undefined;
    const access = this.opts.access();
    const server = createHttpServer(this.svc, {
      ...limits,
      pin: { model, version },
      ...(this.opts.scopes ? { scopes: this.opts.scopes } : {}),
      ...(access ? { access } : {}),
    });
    if (tls) {
      const t = await tls.openHttp(server, this.opts.host, 0);
      return { port: t.port, server, closeTls: t.close };
    }
    return { port: await listenHttp(server, this.opts.host, 0), server };
  }

  /** Closes the version's port after its last call finished (the version is unloaded by then). */
  async close(model: string, version: string, force = false): Promise<void> {
    const key = keyOf(model, version);
    const p = this.open.get(key);
    if (!p) return;
    this.open.delete(key);
    this.ports.delete(key);
    this.httpPorts.delete(key);
    const o = await p.catch(() => undefined);
    if (!o) return;
    await o.closeTls?.();
    if (o.http) await closeHttp(o.http, force);
    // An open ORCA stream would hold a graceful shutdown for ever (as at the pod's own close).
    o.load.endStreams();
    if (force) o.server.forceShutdown();
    else await new Promise<void>((resolve) => o.server.tryShutdown(() => resolve()));
    this.opts.log.info(`managed: closed port ${o.port} of ${model} version ${version}`);
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.keys()].map((k) => {
      const i = k.lastIndexOf('/');
      return this.close(k.slice(0, i), k.slice(i + 1), true);
    });
    await Promise.all(all);
  }
}

// The version is unloaded when its port closes, so a request still on a connection can only be
// refused: a proxy's keep-alive connection is not waited for longer than this.
const HTTP_CLOSE_GRACE_MS = 5_000;

/** Stops accepting, then ends connections: idle ones now (keep-alive from a proxy), all when forced. */
async function closeHttp(h: NonNullable<Open['http']>, force: boolean): Promise<void> {
  await h.closeTls?.();
  const closed = new Promise<void>((resolve) => h.server.close(() => resolve()));
  if (force) h.server.closeAllConnections();
  else h.server.closeIdleConnections();
  const timer = setTimeout(() => h.server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
