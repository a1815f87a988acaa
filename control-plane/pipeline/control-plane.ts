// The composition root: xDS server, snapshot cache, policy source (a directory, or the NATS
// JetStream store with the directory syncing into it), publisher, metrics and the admin API wired
// together. Everything with I/O is started and stopped here, nowhere else.

import { ServerCredentials } from '@grpc/grpc-js';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger, type Logger } from '../../kernel/log/index.js';
import { Debouncer } from '../../kernel/runtime/debounce.js';
import { probePort } from '../../kernel/runtime/port-probe.js';
import { AdminServer } from '../admin/admin-server.js';
import type { CheckResult, ReadinessCheck } from '../admin/readiness.js';
import { coreRoutes } from '../admin/routes/core.js';
import type { AuditedChanges } from '../api/audited-changes.js';
import { caRoutes } from '../api/ca-routes.js';
import { GrpcAdminServer } from '../api/grpc-admin.js';
import { apiRoutes, callContext } from '../api/http-routes.js';
import { type PolicyProblem, PolicyService } from '../api/policy-service.js';
import { DEFAULT_NAMESPACE_QUOTAS } from '../api/quotas.js';
import type { AuditLog } from '../audit/audit-log.js';
import { OPEN_AUTH } from '../auth/auth-config.js';
import { Authenticator } from '../auth/authenticator.js';
import { RateLimiter } from '../auth/rate-limit.js';
import { authorize } from '../auth/rbac.js';
import { EndpointDiscovery, latencyObjectives } from '../endpoints/index.js';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import { type ModelRoute, resolveOwners } from '../policy/index.js';
import { rolloutRoutes } from '../rollout/http-routes.js';
import { type Rollouts, startRollouts } from '../rollout/rollouts.js';
import type { IdempotencyStore } from '../store/idempotency.js';
import type { NatsOptions } from '../store/nats-connection.js';
import type { StoredPolicy } from '../store/policy-record.js';
import type { PolicyStore } from '../store/policy-store.js';
import { type StoreNames, storeNames } from '../store/store-names.js';
import { resolveOptions } from '../translate/options.js';
import type { EndpointTable } from '../translate/types.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { XdsServer } from '../xds/server/ads-server.js';
import { combineCallbacks } from '../xds/server/stream-context.js';
import { ProxyRegistry } from '../xds/status/proxy-registry.js';
import { grpcCredentialsLike } from './admin-grpc-credentials.js';
import { AutoRollback } from './auto-rollback.js';
import type { ControlPlaneOptions } from './control-plane-options.js';
import { ControlPlanePki } from './control-plane-pki.js';
import { listEndpoints } from './endpoint-view.js';
import type { PolicyDirectoryState } from './policy-directory.js';
import { PolicySources } from './policy-sources.js';
import { NO_LEASE, readinessChecks } from './readiness-checks.js';
import { startReplicaState, stopReplicaState } from './replica-state.js';
import { PUBLISHED_GROUPS, SnapshotPublisher } from './snapshot-publisher.js';
import { openStateStore } from './state-store.js';

export type { ControlPlaneOptions } from './control-plane-options.js';

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
  private readonly sources: PolicySources;
  private nc?: NatsConnection;
  private endpoints: EndpointTable = new Map();
  discovery?: EndpointDiscovery;
  private started = false;
  private readonly autoRollback: AutoRollback;
  service!: PolicyService;
  store?: PolicyStore;
  audit?: AuditLog;
  rollouts?: Rollouts;
  xdsPort = 0;
  adminPort = 0;
  adminGrpcPort = 0;
  private adminGrpc?: GrpcAdminServer;
  readonly pki?: ControlPlanePki;
  /** The extra plaintext xDS port for proxyless gRPC (pki.xdsInsecurePort), once bound. */
  xdsInsecurePort = 0;
  /** JetStream names of this installation (buckets, streams, subjects). */
  readonly storeNames: StoreNames;
  /** Whether this replica knows if it leads singleton work (readiness-checks.ts). */
  private leaseState: () => CheckResult = NO_LEASE;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.log = opts.log ?? createLogger('control-plane');
    this.storeNames = storeNames(opts.storePrefix);
    const lease = opts.replica?.lease;
    if (lease)
      this.leaseState = () =>
        lease.isLeaseKnown()
          ? { ok: true, detail: lease.isHeld() ? 'leader' : 'follower' }
          : { ok: false, detail: 'leader lease not read yet' };
    if (!opts.auth)
      this.log.warn('admin API without an auth config: every caller is admin (local development only)');
    this.authn = new Authenticator(opts.auth ?? OPEN_AUTH);
    // With a CA, pods' SAN checks use its trust domain unless the options say otherwise.
    const translate = opts.pki
      ? { trustDomain: opts.pki.authority.trustDomain, ...opts.translate }
      : opts.translate;
    this.publisher = new SnapshotPublisher(this.cache, this.metrics, this.log.child('snapshot'), translate);
    this.autoRollback = new AutoRollback(() => this.service, this.log.child('auto-rollback'));
    this.sources = new PolicySources({
      ...(opts.policyDir ? { dir: opts.policyDir } : {}),
      store: () => this.store,
      service: () => this.service,
      changed: () => this.debouncer.trigger(),
      fileErrors: (n) => this.metrics.policyErrors.set(n),
      ...(opts.replica ? { lease: opts.replica.lease } : {}),
      log: this.log,
    });
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
    this.debouncer = new Debouncer({
      quietMs: opts.debounceQuietMs,
      maxMs: opts.debounceMaxMs,
      run: () => this.rebuild(),
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
    if (this.opts.nats || this.opts.replica) await this.openStore(this.opts.nats);
    if (this.opts.replica)
      // A replica that becomes the leader syncs the directory (the first sync runs at start).
      await startReplicaState(this.opts.replica, () => this.sources.resync(), this.metrics.registry);
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
    if (this.nc && this.store)
      this.rollouts = await startRollouts({
        nc: this.nc,
        names: this.storeNames,
        replicas: this.opts.storeReplicas ?? 1,
        policies: this.store,
        service: () => this.service,
        log: this.log.child('rollout'),
        rateLimiter: new RateLimiter(this.authn.config.rateLimit),
        ...(this.opts.replica ? { lease: this.opts.replica.lease } : {}),
        ...(this.audit ? { audit: this.audit } : {}),
      });
    await this.sources.start();
    // The first snapshot is built before the port opens, so no proxy waits on a debounce.
    this.rebuild();
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
    return this.pki ? this.pki.adminGrpcCredentials() : grpcCredentialsLike(this.opts.adminTls);
  }

  private async openStore(nats: NatsOptions | undefined): Promise<void> {
    const state = await openStateStore(nats, {
      replicas: this.opts.storeReplicas ?? 1,
      names: this.storeNames,
      log: this.log,
      ...(this.opts.replica ? { shared: this.opts.replica.nc } : {}),
    });
    this.nc = state.nc;
    this.store = state.store;
    this.idempotency = state.idempotency;
    this.audit = state.audit;
    this.changes = state.changes;
  }

  private changes?: AuditedChanges;

  /** For readiness: whether this replica knows who leads (always, without a lease). */
  isLeaseKnown(): boolean {
    return this.opts.replica?.lease.isLeaseKnown() ?? true;
  }

  private adminRoutes() {
    const publicFlags = this.authn.config.public;
    return [
      ...coreRoutes({
        registry: this.metrics.registry,
        readiness: () => this.readinessChecks(),
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
        fileErrors: () => [...this.sources.directoryState().errors],
        ...(this.opts.replica ? { leader: () => this.opts.replica!.lease.status() } : {}),
        ...(this.audit ? { audit: this.audit } : {}),
      }),
      ...(this.rollouts ? rolloutRoutes({ service: this.rollouts.service, authn: this.authn }) : []),
      ...caRoutes({
        authn: this.authn,
        ...(this.pki ? { authority: this.pki.authority } : {}),
        ...(this.opts.replica ? { lease: this.opts.replica.lease } : {}),
        ...(this.opts.replica?.ca ? { reload: () => this.opts.replica!.ca!.reload() } : {}),
      }),
    ];
  }

  /** Leader election reports here whether this replica knows its role (readiness). */
  setLeaseState(state: () => CheckResult): void {
    this.leaseState = state;
  }

  /** What /readyz checks: docs/OPERATIONS.md, "Liveness and readiness". */
  readinessChecks(): ReadinessCheck[] {
    return readinessChecks({
      started: () => this.started,
      store: () => (this.store && this.nc ? { store: this.store, nc: this.nc } : undefined),
      lease: () => this.leaseState(),
      cache: this.cache,
    });
  }

  /** The policies serving now: the store's when there is one, else the directory's. */
  routes(): readonly ModelRoute[] {
    return this.sources.routes();
  }

  storedPolicies(): readonly StoredPolicy[] {
    return this.sources.storedPolicies();
  }

  policies(): PolicyDirectoryState {
    return this.sources.directoryState();
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
          if (this.started) this.rebuild();
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

  /** Push pending changes now (tests, shutdown). */
  flush(): void {
    this.debouncer.flush();
  }

  private rebuild(): void {
    const groups = PUBLISHED_GROUPS;
    const before = new Map(groups.map((g) => [g, this.cache.get(g)]));
    // With a store, the directory's losers never reach it: report them from the directory.
    const dirConflicts = this.store
      ? resolveOwners(this.sources.directoryState().policies.map((p) => p.route)).conflicts
      : [];
    this.publisher.publish(this.routes(), this.endpoints, dirConflicts);
    if (this.store)
      this.autoRollback.recordPublish(
        this.sources.storedPolicies(),
        new Map(groups.map((g) => [g, this.cache.get(g)])),
        before,
      );
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
    this.discovery?.stop();
    await this.rollouts?.stop();
    await this.sources.stop();
    await Promise.all([this.xds.close(), this.admin?.close(), this.adminGrpc?.close()]);
    this.pki?.stop();
    if (this.opts.replica) await stopReplicaState(this.opts.replica);
    await this.nc?.close().catch(() => undefined);
    this.started = false;
  }
}
