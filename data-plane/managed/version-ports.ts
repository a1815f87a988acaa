// A managed pod serves each managed version on a gRPC port of its own as well as on the pod's
// port. A proxyless request names the model, not the version (the client cannot know which
// cluster its weighted split picked), so on the shared port it gets the newest ready version;
// on a version's own port it gets that version. The registration reports the port per version
// and the control plane puts it in that version's EDS, so a split between two versions of one
// model that the placer co-locates on one pod reaches each version (docs/PLACEMENT.md,
// "A port per version"). The port opens before the version loads (it is in the registration
// with the first READY) and closes after the version is unloaded.
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { Logger } from '../../kernel/log/index.js';
import type { AccessEnforcer } from '../access/index.js';
import { bindGrpc, createGrpcServer } from '../server/grpc-server.js';
import type { HealthService } from '../server/health.js';
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
}

interface Open {
  readonly port: number;
  readonly server: GrpcServer;
  readonly closeTls?: () => Promise<void>;
}

const keyOf = (model: string, version: string) => `${model}/${version}`;

export class VersionPorts {
  private readonly open = new Map<string, Promise<Open>>();
  private readonly ports = new Map<string, number>();

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

  /** Opens the version's port on a free port; resolves with it (the same one when already open). */
  ensure(model: string, version: string): Promise<number> {
    const key = keyOf(model, version);
    let p = this.open.get(key);
    if (!p) {
      p = this.bind(model, version);
      this.open.set(key, p);
      p.then(
        (o) => this.ports.set(key, o.port),
        () => this.open.delete(key),
      );
    }
    return p.then((o) => o.port);
  }

  private async bind(model: string, version: string): Promise<Open> {
    const access = this.opts.access();
    const server = createGrpcServer(this.svc, this.health, {
      maxMessageBytes: this.opts.maxMessageBytes,
      pin: { model, version },
      ...(this.opts.scopes ? { scopes: this.opts.scopes } : {}),
      ...(access ? { access } : {}),
    });
    const tls = this.tls();
    if (tls) {
      const t = await tls.openGrpc(server, this.opts.host, 0);
      return { port: t.port, server, closeTls: t.close };
    }
    return { port: await bindGrpc(server, this.opts.host, 0), server };
  }

  /** Closes the version's port after its last call finished (the version is unloaded by then). */
  async close(model: string, version: string, force = false): Promise<void> {
    const key = keyOf(model, version);
    const p = this.open.get(key);
    if (!p) return;
    this.open.delete(key);
    this.ports.delete(key);
    const o = await p.catch(() => undefined);
    if (!o) return;
    await o.closeTls?.();
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
