// The operators' operations on policies, shared by the HTTP and gRPC admin APIs and the GitOps
// sync: every call is authenticated upstream, authorized here per namespace, rate limited when
// it mutates, written with compare-and-set, and audited with who, from where, the diff and why.
import { join } from 'node:path';
import {
  NotFoundError,
  OptionError,
  PolicyConflictError,
  UnavailableError,
} from '../../kernel/errors/index.js';
import { canonicalJson } from '../../kernel/runtime/canonical-json.js';
import type { AuditAction, VerifyResult } from '../audit/audit-chain.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { RateLimiter } from '../auth/rate-limit.js';
import { authorize, canView, type Operation, type Principal } from '../auth/rbac.js';
import type { ModelCheck } from '../pipeline/model-gate.js';
import type { ModelRoute } from '../policy/index.js';
import { checkObjectName } from '../policy/object-name.js';
import type { IdempotencyStore } from '../store/idempotency.js';
import {
  type ChangeSource,
  nextNumber,
  type PolicyRecord,
  type PolicyRevision,
  rollbackTarget,
  routeOf,
  type StoredPolicy,
} from '../store/policy-record.js';
import type { PolicyStore } from '../store/policy-store.js';
import { planApply, refuseConflict } from './apply-plan.js';
import type { AuditedChanges } from './audited-changes.js';
import { changeEvent } from './change-event.js';
import { dryRun } from './dry-run.js';
import { policyDiff } from './policy-diff.js';
import { type PolicyProblem, type PolicyView, routeView, storedView } from './policy-views.js';
import type { NamespaceQuotas } from './quotas.js';

export type { PolicyProblem, PolicyView } from './policy-views.js';

export interface CallContext {
  readonly principal: Principal;
  /** Remote address, for the audit trail. */
  readonly from: string;
  readonly via: 'http' | 'grpc' | 'gitops' | 'system';
}

export interface ApplyRequest {
  readonly document: unknown;
  readonly reason?: string;
  readonly idempotencyKey?: string;
  /** Base revision for compare-and-set; omitted: the revision read just before writing. */
  readonly expectedRevision?: number;
  readonly autoRollback?: boolean;
  readonly source?: ChangeSource;
  readonly file?: string;
  /** Check and answer what would happen; store, audit and idempotency records stay untouched. */
  readonly dryRun?: boolean;
}

export interface ApplyResult {
  readonly namespace: string;
  readonly name: string;
  /** KV revision (the compare-and-set base). */
  readonly revision: number;
  /** Per-policy revision number (PolicyRecord.number). */
  readonly number?: number;
  /** For rollbacks: the per-policy number of the revision restored. */
  readonly restoredFromNumber?: number;
  readonly outcome: 'created' | 'configured' | 'unchanged';
  readonly replayed?: boolean;
  /** Dry run only (see DryRunResult). */
  readonly dryRun?: true;
  readonly diff?: string;
  readonly checks?: readonly ModelCheck[];
}

export interface PolicyServiceDeps {
  readonly store?: PolicyStore;
  readonly idempotency?: IdempotencyStore;
  /** The trail, for `audit verify`. */
  readonly audit?: AuditLog;
  /** Writes each change together with its audit records; without it the store is written alone. */
  readonly changes?: AuditedChanges;
  readonly rateLimiter: RateLimiter;
  /** Per-namespace quotas on what callers (not the control plane itself) may apply. */
  readonly quotas?: NamespaceQuotas;
  /** The policies serving now when there is no store (policy-directory mode). */
  readonly fallback: () => readonly ModelRoute[];
  /** Policies whose document clients do not get now, by `namespace/name` (the publisher's). */
  readonly problems?: () => ReadonlyMap<string, PolicyProblem>;
  /** A dry run's per-flavor check of a policy's translated resources (the publisher's). */
  readonly inspect?: (route: ModelRoute) => Promise<readonly ModelCheck[]>;
}

function checkNames(namespace: string, name: string): void {
  checkObjectName('namespace', namespace);
  checkObjectName('name', name);
}

export class PolicyService {
  constructor(private readonly deps: PolicyServiceDeps) {}

  private requireStore(): PolicyStore {
    if (!this.deps.store)
      throw new UnavailableError(
        'no policy store: start the control plane with --nats to change policies through the API',
      );
    return this.deps.store;
  }

  private check(ctx: CallContext, op: Operation, namespace: string): void {
    checkObjectName('namespace', namespace);
    authorize(ctx.principal, op, namespace);
    // The control plane's own writers (GitOps sync, auto-rollback) are not rate limited.
    if ((op === 'apply' || op === 'delete' || op === 'rollback') && ctx.principal.kind !== 'system')
      this.deps.rateLimiter.take(ctx.principal.id);
  }

  async list(ctx: CallContext, namespace?: string): Promise<PolicyView[]> {
    if (namespace) checkObjectName('namespace', namespace);
    if (namespace) authorize(ctx.principal, 'list', namespace);
    const all = this.deps.store
      ? (await this.deps.store.list()).map(storedView)
      : this.deps.fallback().map(routeView);
    return all
      .filter((p) => (namespace ? p.namespace === namespace : canView(ctx.principal, p.namespace)))
      .map((p) => this.withProblem(p));
  }

  private withProblem(p: PolicyView): PolicyView {
    const problem = this.deps.problems?.().get(`${p.namespace}/${p.name}`);
    return problem ? { ...p, problem } : p;
  }

  async get(ctx: CallContext, namespace: string, name: string): Promise<PolicyView> {
    checkNames(namespace, name);
    authorize(ctx.principal, 'get', namespace);
    const found = this.deps.store
      ? await this.deps.store.get(namespace, name).then((p) => p && storedView(p))
      : this.deps
          .fallback()
          .map(routeView)
          .find((p) => p.namespace === namespace && p.name === name);
    if (!found) throw new NotFoundError(`policy ${namespace}/${name} does not exist`);
    return this.withProblem(found);
  }

  async diff(
    ctx: CallContext,
    document: unknown,
  ): Promise<{ namespace: string; name: string; exists: boolean; changed: boolean; diff: string }> {
    const route = routeOf(document, 'request');
    const { namespace, name } = route.metadata;
    authorize(ctx.principal, 'diff', namespace);
    const live = this.deps.store
      ? (await this.deps.store.get(namespace, name))?.route
      : this.deps.fallback().find((r) => r.metadata.namespace === namespace && r.metadata.name === name);
    const { changed, diff } = await policyDiff({
      before: live,
      after: route,
      oldName: `live/${namespace}/${name}`,
      newName: `applied/${namespace}/${name}`,
    });
    return { namespace, name, exists: !!live, changed, diff };
  }

  async apply(ctx: CallContext, req: ApplyRequest): Promise<ApplyResult> {
    const route = routeOf(req.document, 'request');
    this.check(ctx, 'apply', route.metadata.namespace);
    const store = this.requireStore();
    if (req.dryRun)
      return await dryRun(
        route,
        await this.plan(ctx, store, route, req),
        req.expectedRevision,
        this.deps.inspect,
      );
    const run = () => this.write(ctx, store, route, req);
    if (!req.idempotencyKey || !this.deps.idempotency) return run();
    const fingerprint = canonicalJson({
      who: ctx.principal.id,
      document: req.document,
      autoRollback: !!req.autoRollback,
    });
    // Keys are scoped per caller: another caller's key never replays (or blocks) this request.
    const { result, replayed } = await this.deps.idempotency.once(
      ctx.principal.id,
      req.idempotencyKey,
      fingerprint,
      run,
    );
    return replayed ? { ...result, replayed: true } : result;
  }

  private plan(ctx: CallContext, store: PolicyStore, route: ModelRoute, req: ApplyRequest) {
    // Quotas bind callers, not the control plane's own writers.
    const quotas = ctx.principal.kind === 'system' ? undefined : this.deps.quotas;
    return planApply(store, route, req, quotas);
  }

  private async write(
    ctx: CallContext,
    store: PolicyStore,
    route: ModelRoute,
    req: ApplyRequest,
  ): Promise<ApplyResult> {
    const { namespace, name } = route.metadata;
    const plan = await this.plan(ctx, store, route, req);
    const { live, base } = plan;
    if (plan.outcome === 'unchanged')
      return {
        namespace,
        name,
        revision: plan.live.revision,
        ...(plan.live.record.number !== undefined ? { number: plan.live.record.number } : {}),
        outcome: 'unchanged',
      };
    const number = await this.nextNumberOf(store, namespace, name, live);
    const record: PolicyRecord = {
      document: req.document as Record<string, unknown>,
      appliedBy: ctx.principal.id,
      appliedAt: new Date().toISOString(),
      source: req.source ?? 'api',
      ...(req.reason ? { reason: req.reason } : {}),
      ...(req.autoRollback ? { autoRollback: true } : {}),
      ...(req.file ? { file: req.file } : {}),
      number,
    };
    const event = await changeEvent(ctx, 'apply', namespace, name, live?.route, route, base, req.reason);
    const revision = this.deps.changes
      ? await this.deps.changes.put(event, record, base)
      : await store.put(namespace, name, record, base);
    return { namespace, name, revision, number, outcome: plan.outcome };
  }

  /** One past the live number; the history is read only when there is no live number. */
  private async nextNumberOf(
    store: PolicyStore,
    namespace: string,
    name: string,
    live: StoredPolicy | undefined,
  ): Promise<number> {
    if (live?.record.number !== undefined) return live.record.number + 1;
    // A history read needs a consumer (placed by the JetStream meta leader): skipped for a policy
    // that never existed, so creating one does not wait on a meta-leader election.
    if (!(await store.written(namespace, name))) return 1;
    return nextNumber(await store.history(namespace, name));
  }

  async delete(
    ctx: CallContext,
    namespace: string,
    name: string,
    opts: { reason?: string; expectedRevision?: number } = {},
  ): Promise<{ revision: number }> {
    checkNames(namespace, name);
    this.check(ctx, 'delete', namespace);
    const store = this.requireStore();
    const live = await store.get(namespace, name);
    if (!live) throw new NotFoundError(`policy ${namespace}/${name} does not exist`);
    // The directory is the source of truth for its policies: the next sync would bring it back.
    if (live.record.source === 'gitops' && ctx.via !== 'gitops') {
      // The sync applies as `gitops:<dir>` and records the file relative to that directory.
      const dir = live.record.appliedBy.replace(/^gitops:/, '');
      const file = live.record.file ? join(dir, live.record.file) : dir;
      throw new PolicyConflictError(
        `policy ${namespace}/${name} is owned by the policy directory (file ${file}): remove it from that file instead`,
      );
    }
    const base = opts.expectedRevision ?? live.revision;
    const event = await changeEvent(ctx, 'delete', namespace, name, live.route, undefined, base, opts.reason);
    if (this.deps.changes) await this.deps.changes.delete(event, base);
    else await store.delete(namespace, name, base);
    return { revision: live.revision };
  }

  async history(ctx: CallContext, namespace: string, name: string): Promise<PolicyRevision[]> {
    checkNames(namespace, name);
    authorize(ctx.principal, 'history', namespace);
    const h = await this.requireStore().history(namespace, name);
    if (h.length === 0) throw new NotFoundError(`policy ${namespace}/${name} has no history`);
    return h;
  }

  /**
   * `rollback NAME [--to N]`: restore the revision numbered `number` in this policy's history,
   * or without it the revision before the live one.
   */
  async rollbackToNumber(
    ctx: CallContext,
    namespace: string,
    name: string,
    number: number | undefined,
    opts: { reason?: string } = {},
  ): Promise<ApplyResult> {
    if (number !== undefined && (!Number.isInteger(number) || number <= 0))
      throw new OptionError(`revision ${number} is not a revision number`);
    this.check(ctx, 'rollback', namespace);
    const store = this.requireStore();
    const history = await store.history(namespace, name);
    if (history.length === 0) throw new NotFoundError(`policy ${namespace}/${name} has no history`);
    const live = await store.get(namespace, name);
    const target = rollbackTarget(history, live?.revision, number);
    if (!target)
      throw new NotFoundError(
        number === undefined
          ? `policy ${namespace}/${name} has no earlier revision to roll back to`
          : `policy ${namespace}/${name} has no revision ${number} (see switchyard history ${name})`,
      );
    return this.rollback(ctx, namespace, name, target.revision, { ...opts, authorized: true });
  }

  /** Restore the document of an earlier revision (a KV revision) as a new revision. */
  async rollback(
    ctx: CallContext,
    namespace: string,
    name: string,
    toRevision: number,
    opts: {
      reason?: string;
      expectedRevision?: number;
      action?: Extract<AuditAction, 'rollback' | 'auto-rollback'>;
      /** rollbackToNumber checked (and rate-limited) the call already. */
      authorized?: boolean;
    } = {},
  ): Promise<ApplyResult> {
    if (!Number.isInteger(toRevision) || toRevision <= 0)
      throw new OptionError(`revision ${toRevision} is not a revision number`);
    checkNames(namespace, name);
    if (!opts.authorized) this.check(ctx, 'rollback', namespace);
    const store = this.requireStore();
    const target = await store.revision(namespace, name, toRevision);
    const route = routeOf(target.document, `${namespace}/${name}@${toRevision}`);
    await refuseConflict(store, route);
    const live = await store.get(namespace, name);
    const base = opts.expectedRevision ?? live?.revision ?? 0;
    const action = opts.action ?? 'rollback';
    const number = await this.nextNumberOf(store, namespace, name, live);
    // The restored revision gets its own audit link, not the one of the revision it copies.
    const { audit: _copiedLink, restoredFromNumber: _previous, ...restored } = target;
    const record: PolicyRecord = {
      ...restored,
      appliedBy: ctx.principal.id,
      appliedAt: new Date().toISOString(),
      source: action,
      restoredFrom: toRevision,
      ...(target.number !== undefined ? { restoredFromNumber: target.number } : {}),
      number,
      ...(opts.reason ? { reason: opts.reason } : {}),
    };
    const event = await changeEvent(
      ctx,
      action,
      namespace,
      name,
      live?.route,
      route,
      base,
      opts.reason,
      toRevision,
    );
    const revision = this.deps.changes
      ? await this.deps.changes.put(event, record, base)
      : await store.put(namespace, name, record, base);
    return {
      namespace,
      name,
      revision,
      number,
      ...(record.restoredFromNumber !== undefined ? { restoredFromNumber: record.restoredFromNumber } : {}),
      outcome: live ? 'configured' : 'created',
    };
  }

  /** The chain and, with a store, that every kept revision has its record. */
  async verifyAudit(): Promise<VerifyResult> {
    const { audit, store } = this.deps;
    if (!audit) return { ok: true, records: 0, problems: [], head: '' };
    return audit.verify(store ? { revisions: () => store.allRevisions() } : {});
  }
}
