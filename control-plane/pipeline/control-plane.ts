// The composition root: xDS server, snapshot cache, policy source, publisher, metrics and the
// admin API wired together. Everything with I/O is started and stopped here, nowhere else.

import { AdminServer } from '../admin/admin-server.js';
import { coreRoutes } from '../admin/routes/core.js';
import { xdsStatusRoutes } from '../admin/routes/xds-status.js';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import type { ModelRoute } from '../policy/index.js';
import { Debouncer } from '../runtime/debounce.js';
import { createLogger, type Logger } from '../runtime/log.js';
import type { TranslateOptions } from '../translate/index.js';
import type { EndpointTable } from '../translate/types.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { XdsServer } from '../xds/server/ads-server.js';
import { combineCallbacks } from '../xds/server/stream-context.js';
import { ProxyRegistry } from '../xds/status/proxy-registry.js';
import { PolicyDirectory, type PolicyDirectoryState } from './policy-directory.js';
import { SnapshotPublisher } from './snapshot-publisher.js';

export interface ControlPlaneOptions {
  readonly policyDir?: string;
  readonly host: string;
  readonly xdsPort: number;
  readonly adminPort: number;
  readonly debounceQuietMs: number;
  readonly debounceMaxMs: number;
  /** Translation knobs (gateway port, trust domain, secret names). */
  readonly translate?: Partial<TranslateOptions>;
  readonly log?: Logger;
}

export function defaultControlPlaneOptions(): ControlPlaneOptions {
  return { host: '127.0.0.1', xdsPort: 18000, adminPort: 18080, debounceQuietMs: 100, debounceMaxMs: 10_000 };
}

const NO_POLICIES: PolicyDirectoryState = { policies: [], errors: [] };

export class ControlPlane {
  readonly cache = new SnapshotCache();
  readonly proxies = new ProxyRegistry();
  readonly metrics = new ControlPlaneMetrics();
  readonly log: Logger;
  private readonly xds: XdsServer;
  private readonly admin: AdminServer;
  private readonly publisher: SnapshotPublisher;
  private readonly debouncer: Debouncer;
  private policyDir?: PolicyDirectory;
  private policyState: PolicyDirectoryState = NO_POLICIES;
  private endpoints: EndpointTable = new Map();
  private started = false;
  xdsPort = 0;
  adminPort = 0;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.log = opts.log ?? createLogger('control-plane');
    this.publisher = new SnapshotPublisher(
      this.cache,
      this.metrics,
      this.log.child('snapshot'),
      opts.translate,
    );
    this.xds = new XdsServer({ cache: this.cache, callbacks: combineCallbacks(this.proxies, this.metrics) });
    this.debouncer = new Debouncer({
      quietMs: opts.debounceQuietMs,
      maxMs: opts.debounceMaxMs,
      run: () => this.rebuild(),
      onSaved: (n) => this.metrics.pushesSaved.inc({ source: 'config' }, n),
    });
    this.admin = new AdminServer({
      routes: [
        ...coreRoutes({ registry: this.metrics.registry, ready: () => this.started }),
        ...xdsStatusRoutes({
          registry: this.proxies,
          groups: () => this.publisher.groups(),
          policies: () => this.policyState,
        }),
      ],
    });
  }

  async start(): Promise<void> {
    if (this.opts.policyDir) {
      this.policyDir = new PolicyDirectory(
        this.opts.policyDir,
        (state) => {
          this.policyState = state;
          this.metrics.policyErrors.set(state.errors.length);
          this.debouncer.trigger();
        },
        this.log.child('policy'),
      );
      this.policyState = await this.policyDir.start();
      this.metrics.policyErrors.set(this.policyState.errors.length);
    }
    // The first snapshot is built before the port opens, so no proxy waits on a debounce.
    this.rebuild();
    this.xdsPort = await this.xds.listen(this.opts.host, this.opts.xdsPort);
    this.adminPort = await this.admin.listen(this.opts.host, this.opts.adminPort);
    this.started = true;
    this.log.info('control plane started', {
      xds: this.xdsPort,
      admin: this.adminPort,
      policyDir: this.opts.policyDir,
    });
  }

  routes(): readonly ModelRoute[] {
    return this.policyState.policies.map((p) => p.route);
  }

  policies(): PolicyDirectoryState {
    return this.policyState;
  }

  /** Replace the discovered endpoints (issue 5's endpoint table feeds this). */
  setEndpoints(table: EndpointTable): void {
    this.endpoints = table;
    this.debouncer.trigger();
  }

  /** Push pending changes now (tests, shutdown). */
  flush(): void {
    this.debouncer.flush();
  }

  private rebuild(): void {
    this.publisher.publish(this.routes(), this.endpoints);
  }

  snapshotGroups() {
    return this.publisher.groups();
  }

  async stop(): Promise<void> {
    this.debouncer.close();
    await this.policyDir?.close();
    await Promise.all([this.xds.close(), this.admin.close()]);
    this.started = false;
  }
}
