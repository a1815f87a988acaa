// Policies + endpoints -> one snapshot per node group (flavor and capability set): one owner per model (policy-set.ts), each model
// checked on its own (model-gate.ts: a failing model keeps its last good resources, the others
// publish), then translate (pure), check every resource against Envoy's validation rules,
// encode, and publish through the cache's consistency check. Only a fault of the whole snapshot
// (the shared gateway, a reference across models) refuses a group, which then keeps serving its
// previous snapshot. Every failure is kept for operators (docs/TRANSLATION.md).
import {
  asSwitchyardError,
  formatIssues,
  type Issue,
  ResourceValidationError,
} from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { runSliced, runSteps } from '../../kernel/runtime/steps.js';
import type { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import { conflictMessage, type ModelRoute, type PolicyConflict, resolveOwners } from '../policy/index.js';
import { forCapabilities, GROUPS, type GroupSpec, ringHashDowngrades } from '../translate/capabilities.js';
import {
  type TranslateOptions,
  TranslationCache,
  type translate,
  translateSteps,
} from '../translate/index.js';
import { forRole } from '../translate/node-role.js';
import type { EndpointTable, Flavor } from '../translate/types.js';
import { checkResourcesSteps } from '../validate/index.js';
import { type EncodedResource, SnapshotEncoder } from '../xds/cache/snapshot.js';
import type { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { type ModelCheck, ModelGate } from './model-gate.js';
import { PodServerPublisher } from './pod-server-publisher.js';

export interface GroupStatus {
  readonly group: string;
  version?: string;
  publishedAt?: string;
  resources?: Record<string, number>;
  /**
   * Sticky (RING_HASH) clusters this group's clients get as ROUND_ROBIN, because their ring_hash
   * would crash them (docs/TRANSLATION.md, "Client capabilities"); absent when none.
   */
  ringHashAsRoundRobin?: number;
  lastError?: { code: string; message: string; issues?: readonly Issue[]; at: string };
}

/** A model, or a policy, whose current inputs are not what clients get. */
export interface ModelProblem {
  readonly model: string;
  /** The policy (`namespace/name`) whose document is not served. */
  readonly policy: string;
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly Issue[];
  /** The node groups (flavors) affected. */
  readonly groups: readonly string[];
  /** last-good: the previous resources keep serving; nothing: none; owner: another policy's. */
  readonly serving: 'last-good' | 'nothing' | 'owner';
  readonly since: string;
}

export const FLAVORS: readonly Flavor[] = ['envoy', 'grpc'];

/** Every node group the publisher keeps a snapshot for. */
export const PUBLISHED_GROUPS: readonly string[] = GROUPS.map((g) => g.group);

export class SnapshotPublisher {
  private encoders = new Map<string, SnapshotEncoder>();
  private status = new Map<string, GroupStatus>();
  private gates = new Map<Flavor, ModelGate>();
  /** What translation keeps between publishes, per flavor: owned here, swept every publish. */
  private translations = new Map<Flavor, TranslationCache>();
  private conflicts: ReadonlyArray<PolicyConflict & { since: string }> = [];
  /** The server Listeners of xDS-managed pods: a group of its own (pod-server-publisher.ts). */
  private readonly podServers: PodServerPublisher;

  constructor(
    private readonly cache: SnapshotCache,
    private readonly metrics: ControlPlaneMetrics,
    private readonly log: Logger,
    private readonly options: Partial<TranslateOptions> = {},
  ) {
    this.podServers = new PodServerPublisher(cache, metrics, log, options);
    // The groups of one flavor share their encodings: only what differs is encoded again. Models
    // are admitted once per flavor, through the encoder of the flavor's first group.
    const shared = new Map<Flavor, WeakMap<object, EncodedResource>>();
    for (const g of GROUPS) {
      if (!shared.has(g.flavor)) shared.set(g.flavor, new WeakMap());
      const encoder = new SnapshotEncoder(shared.get(g.flavor));
      this.encoders.set(g.group, encoder);
      if (this.gates.has(g.flavor)) continue;
      const translation = new TranslationCache();
      this.translations.set(g.flavor, translation);
      this.gates.set(g.flavor, new ModelGate(g.flavor, options, encoder, translation));
    }
  }

  /**
   * Build and publish every group's snapshot at once; returns true if all published.
   * `alsoConflicting`: conflicts found upstream among policies that never reach `routes` (a
   * policy directory syncing into the store applies only each model's owner), to report them.
   */
  publish(
    routes: readonly ModelRoute[],
    endpoints: EndpointTable,
    alsoConflicting: readonly PolicyConflict[] = [],
  ): boolean {
    return runSteps(this.steps(routes, endpoints, alsoConflicting));
  }

  /**
   * The same as `publish`, in slices of about `sliceMs` of work with the event loop free in
   * between (setImmediate), so one publish of many models never holds the admin API and the xDS
   * streams for long (docs/ARCHITECTURE.md, "Publishing in slices"). Between slices it gives up
   * when `superseded()` says a newer publish has begun (returning undefined): that one covers
   * whatever this one had not published yet.
   */
  async publishSliced(
    routes: readonly ModelRoute[],
    endpoints: EndpointTable,
    alsoConflicting: readonly PolicyConflict[],
    opts: { readonly sliceMs: number; readonly superseded: () => boolean },
  ): Promise<boolean | undefined> {
    return runSliced(this.steps(routes, endpoints, alsoConflicting), opts.sliceMs, opts.superseded);
  }

  /** The work of one publish, yielding between pieces that each take a bounded time. */
  private *steps(
    routes: readonly ModelRoute[],
    endpoints: EndpointTable,
    alsoConflicting: readonly PolicyConflict[],
  ): Generator<void, boolean> {
    const owners = this.resolve(routes, alsoConflicting);
    yield;
    let ok = true;
    for (const flavor of FLAVORS) ok = (yield* this.publishFlavor(flavor, owners, endpoints)) && ok;
    yield;
    ok = (yield* this.podServers.steps(owners, endpoints)) && ok;
    this.countProblems();
    return ok;
  }

  /**
   * Each flavor's fault for `route` if it were applied now (a dry run); nothing changes. In
   * slices like a publish: a policy at the size limits is about a hundred resources per flavor.
   */
  async inspect(route: ModelRoute, endpoints: EndpointTable, sliceMs: number): Promise<ModelCheck[]> {
    const out: ModelCheck[] = [];
    for (const [flavor, gate] of this.gates) {
      const fault = await runSliced(gate.inspectSteps(route, endpoints), sliceMs);
      if (fault) out.push({ flavor, ...fault });
    }
    return out;
  }

  /** One owner per model; the losers are reported, not published. */
  private resolve(routes: readonly ModelRoute[], upstream: readonly PolicyConflict[]): readonly ModelRoute[] {
    const { routes: owners, conflicts: own } = resolveOwners(routes);
    const conflicts = [...own, ...upstream.filter((u) => !own.some((c) => c.policy === u.policy))];
    const now = new Date().toISOString();
    const before = new Map(this.conflicts.map((c) => [c.policy, c]));
    this.conflicts = conflicts.map((c) => {
      const prev = before.get(c.policy);
      if (prev?.model === c.model && prev.owner === c.owner) return prev;
      this.metrics.modelRejections.inc({ reason: 'SY_POLICY_CONFLICT' });
      this.log.warn('policy not served: its model belongs to another policy', { ...c });
      return { ...c, since: now };
    });
    return owners;
  }

  private countProblems(): void {
    const byCode = new Map<string, number>();
    for (const p of this.models()) byCode.set(p.code, (byCode.get(p.code) ?? 0) + 1);
    this.metrics.modelsNotServed.reset();
    for (const [reason, n] of byCode) this.metrics.modelsNotServed.set({ reason }, n);
  }

  /** Every model or policy not served as written: conflicts first, then per-model faults. */
  models(): ModelProblem[] {
    const out: ModelProblem[] = this.conflicts.map((c) => ({
      model: c.model,
      policy: c.policy,
      code: 'SY_POLICY_CONFLICT',
      message: `${c.policy} is not served: ${conflictMessage(c)}`,
      groups: [...FLAVORS],
      serving: 'owner',
      since: c.since,
    }));
    const faults = new Map<string, ModelProblem>();
    for (const [flavor, gate] of this.gates)
      for (const f of gate.faults()) {
        const key = `${f.model}\u0000${f.code}`;
        const prev = faults.get(key);
        if (prev) {
          faults.set(key, { ...prev, groups: [...prev.groups, flavor] });
          continue;
        }
        const what = f.serving === 'last-good' ? 'its last good resources keep serving' : 'it is not served';
        faults.set(key, {
          model: f.model,
          policy: f.policy,
          code: f.code,
          message: `model ${f.model} (policy ${f.policy}): ${f.issues.length} problem(s), ${what}; first: ${formatIssues(f.issues.slice(0, 1))}`,
          issues: f.issues,
          groups: [flavor],
          serving: f.serving,
          since: f.since,
        });
      }
    return [...out, ...faults.values()];
  }

  /** Admits each model once per flavor, translates once, then publishes every group of it. */
  private *publishFlavor(
    flavor: Flavor,
    routes: readonly ModelRoute[],
    endpoints: EndpointTable,
  ): Generator<void, boolean> {
    const specs = GROUPS.filter((g) => g.flavor === flavor);
    const started = performance.now();
    let set: ReturnType<typeof translate>;
    try {
      const { input, newFaults } = yield* this.gates
        .get(flavor)!
        .admitSteps(routes, endpoints, new Date().toISOString());
      for (const f of newFaults) {
        this.metrics.modelRejections.inc({ reason: f.code });
        this.log.error('model not published; the rest of the snapshot is', {
          group: flavor,
          model: f.model,
          policy: f.policy,
          serving: f.serving,
          error: formatIssues(f.issues.slice(0, 3)),
        });
      }
      yield;
      const translation = this.translations.get(flavor)!;
      set = yield* translateSteps(input, flavor, this.options, translation);
      translation.sweep();
    } catch (err) {
      for (const spec of specs) this.refuse(spec.group, err);
      return false;
    }
    let ok = true;
    for (const spec of specs) {
      yield;
      ok = (yield* this.publishGroup(spec, set, started)) && ok;
    }
    return ok;
  }

  /** Checks, encodes and publishes one group: a slice each, as each costs about as much. */
  private *publishGroup(
    spec: GroupSpec,
    translated: ReturnType<typeof translate>,
    started: number,
  ): Generator<void, boolean> {
    const { group } = spec;
    const st = this.statusOf(group);
    try {
      const set = forRole(forCapabilities(translated, spec.capabilities), spec.role);
      const invalid = yield* checkResourcesSteps(set);
      if (invalid.length) throw new ResourceValidationError(`${group} snapshot`, invalid);
      yield;
      const { snapshot, issues } = yield* this.encoders.get(group)!.buildSteps(set);
      if (issues.length) throw new ResourceValidationError(`${group} snapshot`, issues);
      yield;
      const res = this.cache.set(group, snapshot);
      this.metrics.snapshotBuild.observe({ group }, (performance.now() - started) / 1000);
      st.version = res.version;
      st.publishedAt = new Date().toISOString();
      st.resources = {
        listeners: set.listeners.length,
        routes: set.routes.length,
        clusters: set.clusters.length,
        endpoints: set.endpoints.length,
        secrets: set.secrets.length,
      };
      delete st.lastError;
      this.noteDowngrades(st, ringHashDowngrades(translated, spec.capabilities));
      if (res.changed)
        this.log.info('snapshot published', { group, version: res.version, streams: res.watchers });
      return true;
    } catch (err) {
      this.refuse(group, err);
      return false;
    }
  }

  /** Logged when the count changes, not on every publish. */
  private noteDowngrades(st: GroupStatus, n: number): void {
    if ((st.ringHashAsRoundRobin ?? 0) === n) return;
    if (n) {
      st.ringHashAsRoundRobin = n;
      this.log.warn('sticky clusters served as ROUND_ROBIN: these clients crash on RING_HASH', {
        group: st.group,
        clusters: n,
      });
    } else delete st.ringHashAsRoundRobin;
  }

  private statusOf(group: string): GroupStatus {
    const st = this.status.get(group) ?? { group };
    this.status.set(group, st);
    return st;
  }

  /** The group keeps serving its previous snapshot; the failure is kept for operators. */
  private refuse(group: string, err: unknown): void {
    const e = asSwitchyardError(err);
    const issues = (e as { issues?: readonly Issue[] }).issues;
    this.statusOf(group).lastError = {
      code: e.code,
      message: e.message,
      ...(issues ? { issues } : {}),
      at: new Date().toISOString(),
    };
    this.metrics.snapshotsRejected.inc({ group, reason: e.code });
    this.log.error('snapshot not published; the previous one keeps serving', { group, error: e.message });
  }

  /** Entries of a flavor's translation cache, all or of one kind ('locality': what pod churn must not grow). */
  translationCacheSize(flavor: Flavor, kind?: string): number {
    return this.translations.get(flavor)?.size(kind) ?? 0;
  }

  /** Resources encoded so far for a group (what sharing between groups saves shows here). */
  encodedCount(group: string): number {
    return this.encoders.get(group)?.encodedCount ?? 0;
  }

  groups(): GroupStatus[] {
    return [...[...this.status.values()].map((s) => ({ ...s })), this.podServers.status()];
  }
}
