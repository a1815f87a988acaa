// A data-plane pod: the model repository and its watcher, session workers and batchers, the
// KServe v2 gRPC and HTTP servers, grpc.health.v1, Prometheus metrics, and (with a NATS URL)
// the agent that registers and sends heartbeats. Start order: servers (live, not ready) ->
// models -> serving -> NATS registration. drain() is the SIGTERM sequence (drain.ts).
import type { Server as HttpServer } from 'node:http';
import { totalmem } from 'node:os';
import { checkPodId } from '../kernel/contract/index.js';
import { createLogger, type Logger } from '../kernel/log/index.js';
import { listenError, probePort } from '../kernel/runtime/port-probe.js';
import { type AccessEnforcer, podAccess, subscribeAccessRules } from './access/index.js';
import type { PodIdentity, PodStatus } from './agent/messages.js';
import { NatsAgent } from './agent/nats-agent.js';
import { type DrainReport, drainPod } from './drain.js';
import { ArtifactCache } from './managed/artifact-cache.js';
import { subscribeAssignments } from './managed/assignment-subscriber.js';
import { ManagedModels } from './managed/managed-models.js';
import { OvercommitMetrics } from './managed/overcommit-metrics.js';
import { VersionPorts } from './managed/version-ports.js';
import { createMetricsServer } from './metrics/metrics-server.js';
import { PodMetrics } from './metrics/pod-metrics.js';
import { MirrorForwarder } from './mirror/forwarder.js';
import { applyMirrorConfig } from './mirror/settings.js';
import { advertised, defaultPodId } from './pod-address.js';
import type { PodOptions } from './pod-options.js';
import { checkRepositoryLayout } from './repository/layout.js';
import { RepositoryWatcher } from './repository/watcher.js';
import { type GrpcFront, grpcServerMaker, grpcTransportOf } from './server/grpc-front.js';
import { bindGrpc, createGrpcServer } from './server/grpc-server.js';
import { HealthService } from './server/health.js';
import { closeHttp, createHttpServer, listenHttp } from './server/http-server.js';
import { LoadReporter } from './server/orca.js';
import { PodTls, TLS_MODE_LABEL } from './server/pod-tls.js';
import { XdsGrpcFront } from './server/xds-server.js';
import { FaultInjector } from './serving/faults.js';
import { InferenceService, SERVER_VERSION } from './serving/inference-service.js';
import { Lifecycle } from './serving/lifecycle.js';
import { ModelManager } from './serving/model-manager.js';
import { IntervalCounters } from './stats/interval.js';
import { FanOutObserver } from './stats/observer.js';
import { PodStats } from './stats/pod-stats.js';
import { UtilizationSampler } from './stats/utilization.js';
import type { PodTracer } from './tracing/pod-tracer.js';
import { RequestScopes } from './tracing/request-scope.js';

export type { ManagedPodOptions, PodOptions } from './pod-options.js';

export class Pod {
  readonly lifecycle = new Lifecycle();
  readonly models: ModelManager;
  readonly stats: PodStats;
  /** Per-version counters since the previous heartbeat. */
  readonly interval = new IntervalCounters();
  /** Copies of stable-version requests to a candidate, when the control plane asks. */
  readonly mirror: MirrorForwarder;
  readonly metrics: PodMetrics;
  readonly service: InferenceService;
  readonly health: HealthService;
  readonly sampler: UtilizationSampler;
  readonly watcher: RepositoryWatcher | undefined;
  /** Present with --managed. */
  readonly managed: ManagedModels | undefined;
  readonly podId: string;
  readonly log: Logger;
  /** Present with --otlp-endpoint (docs/ACCESS.md, "Tracing"). */
  readonly tracer: PodTracer | undefined;
  private readonly scopes: RequestScopes;
  readonly startedAtMs = Date.now();
  agent: NatsAgent | undefined;
  /** Per-model access rules, when the pod has a source for them. */
  access: AccessEnforcer | undefined;
  /** mTLS on the gRPC and HTTP ports (undefined: plaintext). */
  tls: PodTls | undefined;
  /** With opts.xds: the gRPC port's xDS-managed front (server/xds-server.ts). */
  xds: XdsGrpcFront | undefined;
  ports = { http: 0, grpc: 0, metrics: 0 };
  private httpServer: HttpServer | undefined;
  private grpcServer: GrpcFront | undefined;
  private metricsServer: HttpServer | undefined;
  /** The gRPC port's ORCA reports; its streams are ended at close. */
  private readonly load = new LoadReporter();
  private stopping: Promise<DrainReport> | undefined;

  private constructor(
    readonly opts: PodOptions,
    Tracer?: typeof PodTracer,
  ) {
    this.log = opts.log ?? createLogger('pod');
    this.podId = opts.podId ?? defaultPodId();
    checkPodId(this.podId);
    this.tracer =
      opts.tracing && Tracer
        ? new Tracer(opts.tracing, { version: SERVER_VERSION, instanceId: this.podId })
        : undefined;
    this.scopes = new RequestScopes({ ...(this.tracer ? { tracer: this.tracer } : {}), log: this.log });
    this.stats = new PodStats(opts.statsWindowMs);
    this.metrics = new PodMetrics({
      versions: () =>
        this.models.list().map((v) => ({
          model: v.model,
          version: v.version,
          queueDepth: v.batcher?.queueDepth ?? 0,
          inFlight: v.batcher?.inFlight ?? 0,
          ready: v.state === 'ready',
        })),
      utilization: () => this.sampler.last,
    });
    this.mirror = new MirrorForwarder(this.interval, this.log);
    const observer = new FanOutObserver([this.metrics, this.stats, this.interval]);
    this.models = new ModelManager({
      defaults: opts.modelDefaults,
      disableBatching: opts.disableBatching,
      ...(opts.inlineBudgetMs !== undefined ? { inlineBudgetMs: opts.inlineBudgetMs } : {}),
      injectDelayMs: opts.injectDelayMs,
      observer,
      log: this.log,
    });
    this.models.onChange(() => this.metrics.forgetLabels());
    this.sampler = new UtilizationSampler({
      gpu: () =>
        opts.reportGpu
          ? 'simulated'
          : this.models.list().some((v) => v.provider === 'cuda')
            ? 'nvidia'
            : 'none',
      busyMs: () => this.models.list().reduce((ms, v) => ms + (v.pool?.busyTime() ?? 0), 0),
      workers: () => this.models.list().reduce((n, v) => n + (v.pool?.instances ?? 0), 0),
    });
    this.service = new InferenceService(
      this.models,
      this.lifecycle,
      observer,
      new FaultInjector(opts.injectErrorRate ?? 0),
      this.mirror,
    );
    this.health = new HealthService(this.service);
    const repo = opts.modelRepo;
    this.watcher = repo
      ? new RepositoryWatcher(
          repo,
          {
            // Managed versions are not the repository's: the watcher neither sees nor unloads them.
            known: () =>
              new Map(
                this.models
                  .list()
                  .filter((v) => !this.managedDir(v.dir))
                  .map((v) => [`${v.model}/${v.version}`, v.fingerprint]),
              ),
            load: (v) => this.models.load(v.model, v.version, v.dir, v.fingerprint),
            unload: (model, version) => this.models.unload(model, version),
          },
          { pollMs: opts.repoPollMs, settleMs: opts.repoSettleMs, log: this.log },
        )
      : undefined;
    this.managed = opts.managed
      ? new ManagedModels(this.models, new ArtifactCache(opts.managed.cacheDir), {
          region: opts.region,
          modelDefaults: opts.modelDefaults,
          ports: new VersionPorts(this.service, this.health, () => this.tls, {
            host: opts.host,
            maxMessageBytes: opts.maxBodyBytes,
            log: this.log,
            access: () => this.access,
            scopes: this.scopes,
            transport: grpcTransportOf(opts),
            keepalive: opts.grpcKeepalive,
            http: { maxBodyBytes: opts.maxBodyBytes, maxJsonBodyBytes: opts.maxJsonBodyBytes },
          }),
          ...(opts.managed.memoryLimitBytes ? { memoryLimitBytes: opts.managed.memoryLimitBytes } : {}),
          ...(opts.managed.overcommitPercent
            ? {
                overcommit: {
                  metrics: new OvercommitMetrics(this.metrics.registry, () => this.managed?.overcommit),
                  changed: () => this.agent?.changed(),
                },
              }
            : {}),
          drain: { graceMs: opts.drain.graceMs, timeoutMs: opts.drain.timeoutMs },
          log: this.log,
        })
      : undefined;
    this.service.holds = this.managed?.overcommit;
  }

  private managedDir(dir: string): boolean {
    const cache = this.opts.managed?.cacheDir;
    return cache !== undefined && (dir === '' || dir.startsWith(cache));
  }

  static async start(opts: PodOptions): Promise<Pod> {
    grpcTransportOf(opts); // refuses h2 for an xDS-managed port before anything starts
    if (opts.modelRepo && !opts.allowEmptyRepo) await checkRepositoryLayout(opts.modelRepo);
    // OpenTelemetry is loaded only when tracing is on: off, it costs no start-up time or memory.
    const tracer = opts.tracing ? (await import('./tracing/pod-tracer.js')).PodTracer : undefined;
    const pod = new Pod(opts, tracer);
    try {
      pod.access = await podAccess(opts.access, pod.metrics.registry, pod.log);
      await pod.listen();
      await pod.watcher?.start();
    } catch (err) {
      await pod.close();
      throw err;
    }
    pod.lifecycle.setPhase('serving');
    const sampleTimer = setInterval(() => void pod.sampler.sample(), 1000).unref();
    pod.lifecycle.onPhase((p) => {
      if (p === 'stopped') clearInterval(sampleTimer);
      // Idle keep-alive sockets are closed now, while clients can still reconnect; busy ones
      // close after their answer (Connection: close while draining).
      if (p === 'draining') pod.httpServer?.closeIdleConnections();
    });
    if (opts.nats) pod.startAgent(opts.nats);
    const ready = pod.models.list().filter((v) => v.state === 'ready').length;
    pod.log.info(
      `pod ${pod.podId} serving ${ready} model version(s): http ${pod.ports.http}, grpc ${pod.ports.grpc}, ` +
        `metrics ${pod.ports.metrics}${opts.nats ? `; NATS ${opts.nats.url}: connecting` : ' (standalone, no NATS)'}`,
    );
    return pod;
  }

  /** Tests: the injected per-run delay (--inject-delay-ms) from now on, e.g. 0 to recover. */
  setInjectDelay(ms: number): void {
    this.models.setInjectDelay(ms);
  }

  /** Tests: the share of requests failed on purpose (--inject-error-rate) from now on. */
  setInjectErrorRate(rate: number): void {
    this.service.faults.setErrorRate(rate);
  }

  get address(): string {
    return this.opts.advertiseAddress ?? advertised(this.opts.host);
  }

  identity(): PodIdentity {
    return {
      podId: this.podId,
      address: this.address,
      ports: this.ports,
      region: this.opts.region,
      zone: this.opts.zone,
      // Proxies use TLS to endpoints known to accept it (PERMISSIVE, Istio's tlsMode label); an
      // xDS-managed gRPC port is plaintext under PERMISSIVE (docs/ACCESS.md), so it claims none.
      labels: {
        ...(this.opts.labels ?? {}),
        ...(this.tls && !this.opts.xds ? { [TLS_MODE_LABEL]: 'mtls' } : {}),
      },
      startedAtMs: this.startedAtMs,
      heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
      gpuSimulated: this.opts.reportGpu,
      softwareVersion: SERVER_VERSION,
      cpuCores: this.sampler.cores,
      memoryBytes: totalmem(),
      ...(this.opts.managed
        ? {
            managed: true,
            ...(this.opts.managed.memoryLimitBytes
              ? { memoryLimitBytes: this.opts.managed.memoryLimitBytes }
              : {}),
            ...(this.opts.managed.overcommitPercent
              ? { overcommitPercent: this.opts.managed.overcommitPercent }
              : {}),
          }
        : {}),
    };
  }

  status(): PodStatus {
    const loaded = this.models.list().map((v) => ({
      model: v.model,
      version: v.version,
      state: v.state,
      ...(v.config ? { requestedProvider: v.config.executionProvider } : {}),
      ...(v.provider ? { provider: v.provider } : {}),
      ...(v.fallbackReason ? { fallbackReason: v.fallbackReason } : {}),
      ...(v.failureReason ? { failureReason: v.failureReason } : {}),
      maxBatchSize: v.maxBatchSize,
      instances: v.pool?.instances ?? 0,
      queueLimit: v.config?.queueLimit ?? 0,
      queueDepth: v.batcher?.queueDepth ?? 0,
      inFlight: v.batcher?.inFlight ?? 0,
      window: this.stats.version(v.model, v.version),
      ...(v.digest ? { digest: v.digest } : {}),
      ...(v.memoryBytes !== undefined ? { memoryBytes: v.memoryBytes } : {}),
      ...this.managed?.ownPorts(v.model, v.version),
    }));
    const versions =
      this.managed?.overcommit?.present(
        loaded,
        (m, v) => this.stats.version(m, v),
        (m, v) => this.managed?.portOf(m, v),
      ) ?? loaded;
    return {
      phase: this.lifecycle.phase,
      versions,
      utilization: this.sampler.last,
      window: this.stats.pod(),
      inFlight: this.lifecycle.inFlightRequests,
      queueDepth: versions.reduce((n, v) => n + v.queueDepth, 0),
      served: this.stats.served,
      ...(this.managed ? { assignmentRevision: this.managed.assignmentRevision } : {}),
    };
  }

  private async listen(): Promise<void> {
    const { host } = this.opts;
    // A taken port is one clear error naming the port (grpc-js would only say "No address added").
    const named = (what: string, port: number) => (err: unknown) => {
      throw listenError(err, what, host, port);
    };
    const access = this.access ? { access: this.access } : {};
    this.httpServer = createHttpServer(this.service, {
      maxBodyBytes: this.opts.maxBodyBytes,
      maxJsonBodyBytes: this.opts.maxJsonBodyBytes,
      scopes: this.scopes,
      ...access,
    });
    if (this.opts.tls) this.tls = new PodTls(this.opts.tls, this.log, this.metrics.registry);
    this.ports.http = await (this.tls
      ? this.tls.listenHttp(this.httpServer, host, this.opts.httpPort)
      : listenHttp(this.httpServer, host, this.opts.httpPort)
    ).catch(named('HTTP', this.opts.httpPort));
    const { xds: x } = this.opts;
    this.xds = x && (await XdsGrpcFront.create(x, { id: this.podId, ...this.opts }, this.log));
    const { maxBodyBytes: maxMessageBytes, grpcKeepalive: keepalive } = this.opts;
    const opts = { maxMessageBytes, keepalive, scopes: this.scopes, load: this.load, ...access };
    const make = this.xds?.makeServer ?? grpcServerMaker(grpcTransportOf(this.opts));
    this.grpcServer = createGrpcServer<GrpcFront>(this.service, this.health, opts, make);
    await probePort('gRPC', host, this.opts.grpcPort);
    this.ports.grpc = await (this.xds
      ? this.xds.bind(this.grpcServer, this.address, this.opts.grpcPort)
      : this.tls
        ? this.tls.listenGrpc(this.grpcServer, host, this.opts.grpcPort)
        : bindGrpc(this.grpcServer, host, this.opts.grpcPort)
    ).catch(named('gRPC', this.opts.grpcPort));
    this.metricsServer = createMetricsServer(this.metrics.registry);
    this.ports.metrics = await listenHttp(this.metricsServer, host, this.opts.metricsPort).catch(
      named('metrics', this.opts.metricsPort),
    );
  }

  private startAgent(nats: NonNullable<PodOptions['nats']>): void {
    const agent = new NatsAgent({
      url: nats.url,
      ...(nats.user ? { user: nats.user } : {}),
      ...(nats.pass ? { pass: nats.pass } : {}),
      identity: this.identity(),
      log: this.log,
      status: () => this.status(),
      sample: () => this.sampler.sample(),
      takeInterval: () => this.interval.take(),
      onMirror: (body) => applyMirrorConfig(this.mirror, body, (line) => this.log.warn(line)),
      onConnect: (nc) => {
        if (this.access) subscribeAccessRules(nc, this.podId, this.access, this.log);
        if (this.managed && this.opts.managed)
          subscribeAssignments(nc, this.podId, this.managed, this.opts.managed, this.log);
      },
    });
    this.agent = agent;
    this.models.onChange(() => agent.changed());
    this.lifecycle.onPhase(() => {
      agent.changed();
      void agent.heartbeat();
    });
    agent.start();
  }

  /** The SIGTERM sequence: drain, refuse, wait for in-flight, deregister, close. Idempotent. */
  drain(reason = 'SIGTERM'): Promise<DrainReport> {
    this.stopping ??= drainPod(this, this.opts.drain, reason);
    return this.stopping;
  }

  /** Closes everything at once, without a grace period (tests, start-up failures). */
  async close(reason = 'closed'): Promise<void> {
    this.lifecycle.setPhase('stopped');
    await this.watcher?.stop();
    await this.agent?.stop(reason);
    this.mirror.close();
    this.access?.close();
    // Streams that end only when their client goes would hold the gRPC server's shutdown.
    this.health.endWatches();
    this.load.endStreams();
    // With mTLS the HTTP server never listened itself: its connections came from the front.
    await this.tls?.close();
    if (this.tls) this.httpServer?.closeAllConnections();
    await Promise.all([
      new Promise<void>((r) => (this.grpcServer ? this.grpcServer.tryShutdown(() => r()) : r())),
      closeHttp(this.httpServer),
      closeHttp(this.metricsServer),
    ]);
    this.grpcServer?.forceShutdown();
    await this.managed?.closePorts();
    await this.models.stopAll();
    await this.tracer?.close();
  }
}
