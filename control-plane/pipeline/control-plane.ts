// The composition root: xDS server, snapshot cache, policy source (a directory, or the NATS
// JetStream store with the directory syncing into it), publisher, metrics and the admin API wired
// together. Everything with I/O is started and stopped here, nowhere else.

import type { ServerOptions as HttpsOptions } from 'node:https';
import { ServerCredentials } from '@grpc/grpc-js';
import type { NatsConnection } from '@nats-io/transport-node';
import { AdminServer } from '../admin/admin-server.js';
import { coreRoutes } from '../admin/routes/core.js';
import { AuditedChanges } from '../api/audited-changes.js';
import { GrpcAdminServer } from '../api/grpc-admin.js';
import { apiRoutes, callContext } from '../api/http-routes.js';
import { type PolicyProblem, PolicyService } from '../api/policy-service.js';
import { DEFAULT_NAMESPACE_QUOTAS, type NamespaceQuotas } from '../api/quotas.js';
import { AuditLog } from '../audit/audit-log.js';
import { type AuthConfig, OPEN_AUTH } from '../auth/auth-config.js';
import { Authenticator } from '../auth/authenticator.js';
import { RateLimiter } from '../auth/rate-limit.js';
import { authorize } from '../auth/rbac.js';
import { EndpointDiscovery } from '../endpoints/discovery.js';
import { latencyObjectives } from '../endpoints/objectives.js';
import type { DiscoveryInput } from '../endpoints/options.js';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import { type ModelRoute, resolveOwners } from '../policy/index.js';
import { Debouncer } from '../runtime/debounce.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { probePort } from '../runtime/port-probe.js';
import { IdempotencyStore } from '../store/idempotency.js';
import { connectNats, type NatsOptions } from '../store/nats-connection.js';
import type { StoredPolicy } from '../store/policy-record.js';
import { PolicyStore } from '../store/policy-store.js';
import type { TranslateOptions } from '../translate/index.js';
import { resolveOptions } from '../translate/options.js';
import type { EndpointTable } from '../translate/types.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { XdsServer } from '../xds/server/ads-server.js';
import { combineCallbacks } from '../xds/server/stream-context.js';
import type { XdsLimits } from '../xds/server/stream-limits.js';
import { ProxyRegistry } from '../xds/status/proxy-registry.js';
import { AutoRollback } from './auto-rollback.js';
import { ControlPlanePki, type ControlPlanePkiOptions } from './control-plane-pki.js';
import { listEndpoints } from './endpoint-view.js';
import { syncDirectoryToStore } from './gitops-sync.js';
import { PolicyDirectory, type PolicyDirectoryState } from './policy-directory.js';
import { PublishScheduler } from './publish-scheduler.js';
import { SnapshotPublisher } from './snapshot-publisher.js';

export interface ControlPlaneOptions {
  readonly policyDir?: string;
  /** Desired state in NATS JetStream; without it the policy directory is the only source. */
  readonly nats?: NatsOptions;
  /** JetStream replicas for the KV buckets and the audit stream (3 in production). */
  readonly storeReplicas?: number;
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
  readonly authn: Authenticator;
  private readonly xds: XdsServer;
  private admin?: AdminServer;
  private readonly publisher: SnapshotPublisher;
  private readonly debouncer: Debouncer;
  private policyDir?: PolicyDirectory;
  private dirState: PolicyDirectoryState = NO_POLICIES;
  private stored: readonly StoredPolicy[] = [];
  private nc?: NatsConnection;
  private stopWatch?: () => void;
  private syncing: Promise<unknown> = Promise.resolve();
  private endpoints: EndpointTable = new Map();
  discovery?: EndpointDiscovery;
  private started = false;
  /** Set while flush() runs the debouncer: publish at once instead of in slices. */
  private flushing = false;
  private readonly publishes: PublishScheduler;
  private readonly autoRollback: AutoRollback;
  service!: PolicyService;
  store?: PolicyStore;
  audit?: AuditLog;
  xdsPort = 0;
  adminPort = 0;
  adminGrpcPort = 0;
  private adminGrpc?: GrpcAdminServer;
  readonly pki?: ControlPlanePki;
  /** The extra plaintext xDS port for proxyless gRPC (pki.xdsInsecurePort), once bound. */
  xdsInsecurePort = 0;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.log = opts.log ?? createLogger('control-plane');
    if (!opts.auth)
      this.log.warn('admin API without an auth config: every caller is admin (local development only)');
    this.authn = new Authenticator(opts.auth ?? OPEN_AUTH);
    // With a CA, pods' SAN checks use its trust domain unless the options say otherwise.
    const translate = opts.pki
      ? { trustDomain: opts.pki.authority.trustDomain, ...opts.translate }
      : opts.translate;
    this.publisher = new SnapshotPublisher(this.cache, this.metrics, this.log.child('snapshot'), translate);
    this.autoRollback = new AutoRollback(() => this.service, this.log.child('auto-rollback'));
    if (opts.pki)
      this.pki = new ControlPlanePki(opts.pki, {
        cache: this.cache,
        registry: this.metrics.registry,
        log: this.log.child('pki'),
        translate: resolveOptions(translate),
      });
    this.xds = new XdsServer({
      cache: this.cache,
      callbacks: combineCallbacks(
        this.proxies,
        this.metrics,
        this.autoRollback,
        ...(this.pki ? [this.pki.security] : []),
      ),
      ...this.pki?.xdsServerOptions(),
      ...(opts.xdsLimits ? { limits: opts.xdsLimits } : {}),
    });
    this.publishes = new PublishScheduler(
      this.publisher,
      this.cache,
      () => ({
        routes: this.routes(),
        endpoints: this.endpoints,
        // With a store, the directory's losers never reach it: report them from the directory.
        alsoConflicting: this.store
          ? resolveOwners(this.dirState.policies.map((p) => p.route)).conflicts
          : [],
      }),
      (before, after) => {
        if (this.store) this.autoRollback.recordPublish(this.stored, after, before);
      },
      this.log,
    );
    this.debouncer = new Debouncer({
      quietMs: opts.debounceQuietMs,
      maxMs: opts.debounceMaxMs,
      run: () => (this.flushing ? this.publishes.now() : this.publishes.later()),
      onSaved: (n) => this.metrics.pushesSaved.inc({ source: 'config' }, n),
    });
  }

  /**
   * Starts everything, or nothing: a failure (a port in use, NATS unreachable) stops what had
   * started, so the process can exit with one line instead of idling with half its parts.
   */
  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  private async startParts(): Promise<void> {
    if (this.opts.nats) await this.openStore(this.opts.nats);
    if (this.nc) await this.startDiscovery(this.nc);
    this.service = new PolicyService({
      ...(this.store ? { store: this.store } : {}),
      ...(this.idempotency ? { idempotency: this.idempotency } : {}),
      ...(this.audit ? { audit: this.audit } : {}),
      ...(this.changes ? { changes: this.changes } : {}),
      rateLimiter: new RateLimiter(this.authn.config.rateLimit),
      quotas: this.opts.quotas ?? DEFAULT_NAMESPACE_QUOTAS,
      fallback: () => this.routes(),
      problems: () => this.policyProblems(),
      inspect: (route) => this.publisher.inspect(route, this.endpoints),
    });
    if (this.opts.policyDir) await this.openPolicyDir(this.opts.policyDir);
    if (this.store) this.stopWatch = await this.store.watch((all) => this.onStored(all));
    // The first snapshot is built before the port opens, so no proxy waits on a debounce.
    this.publishes.now();
    await this.pki?.start();
    const adminTls = this.pki ? this.pki.adminTls() : this.opts.adminTls;
    this.admin = new AdminServer({
      // The CSR endpoint only on the TLS listener: a token must never travel in the clear.
      routes: [...this.adminRoutes(), ...(this.pki?.adminRoutes() ?? [])],
      ...(adminTls ? { tls: adminTls } : {}),
    });
    this.pki?.attachAdmin(this.admin);
    await probePort('xDS', this.opts.host, this.opts.xdsPort);
    this.xdsPort = await this.xds.listen(this.opts.host, this.opts.xdsPort);
    if (this.pki?.xdsInsecurePort !== undefined)
      await probePort('xDS (plaintext)', this.opts.host, this.pki.xdsInsecurePort);
    if (this.pki?.xdsInsecurePort !== undefined)
      this.xdsInsecurePort = await this.xds.listen(
        this.opts.host,
        this.pki.xdsInsecurePort,
        ServerCredentials.createInsecure(),
      );
    this.adminPort = await this.admin.listen(this.opts.host, this.opts.adminPort);
    if (this.opts.adminGrpcPort !== undefined) {
      await probePort('admin gRPC', this.opts.host, this.opts.adminGrpcPort);
      this.adminGrpc = new GrpcAdminServer({
        service: this.service,
        authn: this.authn,
        proxies: this.proxies,
        endpoints: () => listEndpoints(this.routes(), this.endpoints, this.discovery?.statuses()),
      });
      this.adminGrpcPort = await this.adminGrpc.listen(
        this.opts.host,
        this.opts.adminGrpcPort,
        this.adminGrpcCredentials(),
      );
    }
    this.started = true;
    this.log.info('control plane started', {
      xds: this.xdsPort,
      admin: this.adminPort,
      policyDir: this.opts.policyDir,
      store: this.store ? 'nats' : 'none',
    });
  }

  private idempotency?: IdempotencyStore;

  /** gRPC admin: TLS like the HTTP admin API; with a client CA, client certificates are required. */
  private adminGrpcCredentials(): ServerCredentials {
    if (this.pki) return this.pki.adminGrpcCredentials();
    const tls = this.opts.adminTls;
    if (!tls?.cert || !tls.key) return ServerCredentials.createInsecure();
    const ca = tls.ca ? Buffer.from(String(tls.ca)) : null;
    return ServerCredentials.createSsl(
      ca,
      [{ cert_chain: Buffer.from(String(tls.cert)), private_key: Buffer.from(String(tls.key)) }],
      !!ca,
    );
  }

  private async openStore(nats: NatsOptions): Promise<void> {
    this.nc = await connectNats(nats, this.log.child('nats'));
    const replicas = this.opts.storeReplicas ?? 1;
    this.store = await PolicyStore.open(this.nc, this.log.child('store'), { replicas });
    this.idempotency = await IdempotencyStore.open(this.nc, { replicas });
    this.audit = await AuditLog.open(this.nc, { replicas });
    this.changes = new AuditedChanges(this.store, this.audit, this.log.child('audit'));
    // Changes a previous process left half done get the outcome the store shows.
    await this.changes.recover();
  }

  private changes?: AuditedChanges;

  private async openPolicyDir(dir: string): Promise<void> {
    this.policyDir = new PolicyDirectory(
      dir,
      (state) => {
        this.dirState = state;
        this.metrics.policyErrors.set(state.errors.length);
        if (this.store) this.syncDir();
        else this.debouncer.trigger();
      },
      this.log.child('policy'),
    );
    this.dirState = await this.policyDir.start();
    this.metrics.policyErrors.set(this.dirState.errors.length);
    if (this.store) {
      this.stored = await this.store.list();
      this.syncDir();
      await this.syncing;
    }
  }

  /** GitOps: the directory's policies into the store, one sync at a time. */
  private syncDir(): void {
    const dir = this.opts.policyDir!;
    this.syncing = this.syncing.then(async () => {
      const report = await syncDirectoryToStore(
        this.dirState,
        this.stored,
        this.service,
        dir,
        this.log.child('gitops'),
      );
      if (report.applied || report.deleted)
        this.log.info('policy directory synced to the store', { ...report });
    });
  }

  private onStored(all: StoredPolicy[]): void {
    this.stored = all;
    this.debouncer.trigger();
  }

  private adminRoutes() {
    const publicFlags = this.authn.config.public;
    return [
      ...coreRoutes({
        registry: this.metrics.registry,
        ready: () => this.started,
        guard: async (req, what) => {
          if (publicFlags[what]) return;
          authorize((await callContext(this.authn, req)).principal, 'snapshots');
        },
      }),
      ...apiRoutes({
        service: this.service,
        authn: this.authn,
        proxies: this.proxies,
        groups: () => this.publisher.groups(),
        models: () => this.publisher.models(),
        endpoints: () => listEndpoints(this.routes(), this.endpoints, this.discovery?.statuses()),
        fileErrors: () => [...this.dirState.errors],
        ...(this.audit ? { audit: this.audit } : {}),
      }),
    ];
  }

  /** The policies serving now: the store's when there is one, else the directory's. */
  routes(): readonly ModelRoute[] {
    return this.store ? this.stored.map((p) => p.route) : this.dirState.policies.map((p) => p.route);
  }

  storedPolicies(): readonly StoredPolicy[] {
    return this.stored;
  }

  policies(): PolicyDirectoryState {
    return this.dirState;
  }

  /**
   * Pods register and heartbeat over NATS; the table they build is ready (announce + warm-up)
   * before the first snapshot, so a restarted control plane publishes what it published before.
   */
  private async startDiscovery(nc: NatsConnection): Promise<void> {
    this.discovery = new EndpointDiscovery(
      {
        nc,
        log: this.log.child('endpoints'),
        registry: this.metrics.registry,
        objectives: () => latencyObjectives(this.routes()),
        onSaved: (n) => this.metrics.pushesSaved.inc({ source: 'endpoints' }, n),
        // Already coalesced (100 ms quiet, 1 s max): rebuild now rather than debounce twice.
        publish: (table) => {
          this.endpoints = table;
          if (this.started) this.publishes.later();
          else this.debouncer.trigger();
        },
      },
      this.opts.discovery,
    );
    await this.discovery.start();
    this.endpoints = this.discovery.routingTable();
  }

  /** Replace the discovered endpoints (endpoint discovery feeds this through startDiscovery). */
  setEndpoints(table: EndpointTable): void {
    this.endpoints = table;
    this.debouncer.trigger();
  }

  /** Push pending changes now, and finish a publish under way at once (tests, shutdown). */
  flush(): void {
    this.flushing = true;
    try {
      this.debouncer.flush();
    } finally {
      this.flushing = false;
    }
    if (this.publishes.pending) this.publishes.now();
  }

  snapshotGroups() {
    return this.publisher.groups();
  }

  /** Models and policies not served as written (see SnapshotPublisher.models). */
  modelProblems() {
    return this.publisher.models();
  }

  private policyProblems(): Map<string, PolicyProblem> {
    const out = new Map<string, PolicyProblem>();
    for (const p of this.publisher.models())
      if (!out.has(p.policy)) out.set(p.policy, { code: p.code, message: p.message, serving: p.serving });
    return out;
  }

  async stop(): Promise<void> {
    this.debouncer.close();
    this.publishes.stop();
    this.discovery?.stop();
    await this.policyDir?.close();
    await this.syncing.catch(() => undefined);
    this.stopWatch?.();
    await Promise.all([this.xds.close(), this.admin?.close(), this.adminGrpc?.close()]);
    this.pki?.stop();
    await this.nc?.close().catch(() => undefined);
    this.started = false;
  }
}
