// The composition root: xDS server (with the gateway's authorization service), snapshot cache,
// policy source (a directory, or the JetStream store the directory syncs into), publisher, metrics
// and the admin API wired together. Everything with I/O is started and stopped here, nowhere else.
import { ServerCredentials } from '@grpc/grpc-js';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger, type Logger } from '../../kernel/log/index.js';
import { Debouncer } from '../../kernel/runtime/debounce.js';
import { probePort } from '../../kernel/runtime/port-probe.js';
import { AdminServer } from '../admin/admin-server.js';
import type { CheckResult, ReadinessCheck } from '../admin/readiness.js';
import type { AuditedChanges } from '../api/audited-changes.js';
import type { GrpcAdminServer } from '../api/grpc-admin.js';
import type { ModelService } from '../api/model-service.js';
import { PolicyService } from '../api/policy-service.js';
import { DEFAULT_NAMESPACE_QUOTAS } from '../api/quotas.js';
import type { AuditLog } from '../audit/audit-log.js';
import { OPEN_AUTH } from '../auth/auth-config.js';
import { Authenticator } from '../auth/authenticator.js';
import { RateLimiter } from '../auth/rate-limit.js';
import type { EndpointDiscovery } from '../endpoints/index.js';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import type { PlacementRunner } from '../placement/placement-runner.js';
import { type ModelRoute, resolveOwners } from '../policy/index.js';
import { plansFromRoutes } from '../rollout/mirror-plan.js';
import type { MirrorPublisher } from '../rollout/mirror-publisher.js';
import type { Rollouts } from '../rollout/rollouts.js';
import type { IdempotencyStore } from '../store/idempotency.js';
import type { NatsOptions } from '../store/nats-connection.js';
import type { StoredPolicy } from '../store/policy-record.js';
import type { PolicyStore } from '../store/policy-store.js';
import { type StoreNames, storeNames } from '../store/store-names.js';
import { LastEndpointHold } from '../translate/last-endpoint-hold.js';
import { resolveOptions } from '../translate/options.js';
import { routesWithReadyWeights } from '../translate/ready-weights.js';
import type { EndpointTable } from '../translate/types.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { XdsServer } from '../xds/server/ads-server.js';
import { combineCallbacks } from '../xds/server/stream-context.js';
import { ProxyRegistry } from '../xds/status/proxy-registry.js';
import type { AccessPublisher } from './access-publisher.js';
import { grpcCredentialsLike, startAdminGrpc } from './admin-grpc-credentials.js';
import { adminRoutes } from './admin-routes.js';
import { AutoRollback } from './auto-rollback.js';
import type { ControlPlaneOptions } from './control-plane-options.js';
import { ControlPlanePki } from './control-plane-pki.js';
import { listEndpoints } from './endpoint-view.js';
import { gatewayAuthz } from './gateway-authz.js';
import { startPlatformServices } from './platform-services.js';
import { startPodServices } from './pod-services.js';
import type { PolicyDirectoryState } from './policy-directory.js';
import { policyProblems } from './policy-problems.js';
import { PolicySources } from './policy-sources.js';
import { PUBLISH_SLICE_MS, PublishScheduler } from './publish-scheduler.js';
import { PublishedRevisions, revisionsOf } from './published-revisions.js';
import { leaseCheck, NO_LEASE, readinessChecks } from './readiness-checks.js';
import { startReplicaState, stopReplicaState } from './replica-state.js';
import { SnapshotPublisher } from './snapshot-publisher.js';
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
  /** Proxyless mirroring: what the stable pods copy to a candidate (with discovery only). */
  mirrors?: MirrorPublisher;
  podAccess?: AccessPublisher;
  placement?: PlacementRunner;
  private started = false;
  /** Set while flush() runs the debouncer: publish at once instead of in slices. */
  private flushing = false;
  /** EDS keeps a registry version's last endpoints while its route moves (last-endpoint-hold.ts). */
  private readonly hold = new LastEndpointHold(() => this.debouncer.trigger());
  private readonly publishes: PublishScheduler;
  private readonly autoRollback: AutoRollback;
  private readonly published = new PublishedRevisions();
  service!: PolicyService;
  store?: PolicyStore;
  audit?: AuditLog;
  private idempotency?: IdempotencyStore;
  private changes?: AuditedChanges;
  rollouts?: Rollouts;
  xdsPort = 0;
  adminPort = 0;
  adminGrpcPort = 0;
  private adminGrpc?: GrpcAdminServer;
  /** The model registry, with a NATS store and a KEK (registry-state.ts). */
  models?: ModelService;
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
    if (opts.replica) this.leaseState = leaseCheck(opts.replica.lease);
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
      services: [gatewayAuthz(() => this.routes(), opts, this.metrics.registry)],
    });
    this.publishes = new PublishScheduler(
      this.publisher,
      this.cache,
      () => ({
        routes: routesWithReadyWeights(this.routes(), this.endpoints),
        endpoints: this.hold.tableFor(this.routes(), this.endpoints),
        // With a store, the directory's losers never reach it: report them from the directory.
        alsoConflicting: this.store
          ? resolveOwners(this.sources.directoryState().policies.map((p) => p.route)).conflicts
          : [],
        revisions: revisionsOf(this.store ? this.sources.storedPolicies() : this.routes()),
      }),
      (before, after, inputs, ok) => {
        this.published.record(inputs.revisions, ok);
        this.mirrors?.setPlans('routes', plansFromRoutes(this.routes()));
        this.placement?.setRoutes(this.routes());
        if (this.store) this.autoRollback.recordPublish(this.sources.storedPolicies(), after, before);
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
      problems: () => policyProblems(this.publisher.models()),
      inspect: (route) => this.publisher.inspect(route, this.endpoints, PUBLISH_SLICE_MS),
    });
    if (this.nc)
      ({
        models: this.models,
        placement: this.placement,
        rollouts: this.rollouts,
      } = await startPlatformServices({
        nc: this.nc,
        store: this.store,
        service: () => this.service,
        names: this.storeNames,
        replicas: this.opts.storeReplicas ?? 1,
        kek: this.opts.registry?.kek,
        lease: this.opts.replica?.lease,
        audit: this.audit,
        rateLimit: this.authn.config.rateLimit,
        metrics: this.metrics.registry,
        log: this.log,
      }));
    await this.sources.start();
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
    const insecure = this.pki?.xdsInsecurePort;
    if (insecure !== undefined) {
      await probePort('xDS (plaintext)', this.opts.host, insecure);
      this.xdsInsecurePort = await this.xds.listen(
        this.opts.host,
        insecure,
        ServerCredentials.createInsecure(),
      );
    }
    this.adminPort = await this.admin.listen(this.opts.host, this.opts.adminPort);
    if (this.opts.adminGrpcPort !== undefined) {
      const { service, authn, proxies, models } = this;
      const endpoints = () => listEndpoints(this.routes(), this.endpoints, this.discovery?.statuses());
      const deps = { service, authn, proxies, endpoints, ...(models ? { models } : {}) };
      const creds = this.pki ? this.pki.adminGrpcCredentials() : grpcCredentialsLike(this.opts.adminTls);
      ({ server: this.adminGrpc, port: this.adminGrpcPort } = await startAdminGrpc(
        deps,
        this.opts.host,
        this.opts.adminGrpcPort,
        creds,
      ));
    }
    this.started = true;
    this.log.info('control plane started', {
      xds: this.xdsPort,
      admin: this.adminPort,
      policyDir: this.opts.policyDir,
      store: this.store ? 'nats' : 'none',
    });
  }

  private async openStore(nats: NatsOptions | undefined): Promise<void> {
    const state = await openStateStore(nats, {
      replicas: this.opts.storeReplicas ?? 1,
      names: this.storeNames,
      log: this.log,
      ...(this.opts.replica ? { shared: this.opts.replica.nc } : {}),
    });
    ({ nc: this.nc, store: this.store, idempotency: this.idempotency, audit: this.audit } = state);
    this.changes = state.changes;
  }

  /** For readiness: whether this replica knows who leads (always, without a lease). */
  isLeaseKnown(): boolean {
    return this.opts.replica?.lease.isLeaseKnown() ?? true;
  }

  private adminRoutes() {
    return adminRoutes({
      authn: this.authn,
      metrics: this.metrics,
      service: this.service,
      proxies: this.proxies,
      publisher: this.publisher,
      readiness: () => this.readinessChecks(),
      endpoints: () => listEndpoints(this.routes(), this.endpoints, this.discovery?.statuses()),
      fileErrors: () => this.sources.directoryState().errors,
      placement: this.placement,
      replica: this.opts.replica,
      audit: this.audit,
      models: this.models,
      maxModelBytes: this.opts.registry?.maxModelBytes,
      authority: this.pki?.authority,
      rollouts: this.rollouts?.service,
      xds: this.xds,
      published: this.published,
    });
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

  private async startDiscovery(nc: NatsConnection): Promise<void> {
    ({
      discovery: this.discovery,
      mirrors: this.mirrors,
      access: this.podAccess,
    } = await startPodServices({
      nc,
      routes: () => this.routes(),
      started: () => this.started,
      endpoints: (table) => {
        this.endpoints = table;
        // Already coalesced: rebuild now rather than debounce twice.
        if (this.started) this.publishes.later();
        else this.debouncer.trigger();
      },
      metrics: this.metrics,
      discovery: this.opts.discovery,
      log: this.log,
    }));
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

  async stop(): Promise<void> {
    this.hold.stop();
    this.debouncer.close();
    this.publishes.stop();
    this.discovery?.stop();
    this.mirrors?.stop();
    this.podAccess?.stop();
    await this.placement?.stop();
    await this.rollouts?.stop();
    await this.sources.stop();
    await Promise.all([this.xds.close(), this.admin?.close(), this.adminGrpc?.close()]);
    this.pki?.stop();
    if (this.opts.replica) await stopReplicaState(this.opts.replica);
    await this.nc?.close().catch(() => undefined);
    this.started = false;
  }
}
