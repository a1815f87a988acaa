// The operators' rollout operations, shared by the HTTP API and the CLI: start, status, and the
// commands promote/abort/pause/resume. Authorized per namespace (operators act, viewers read),
// audited, written to the rollout store with compare-and-set. They only change the rollout's
// state: the controller on the lease holder makes the route follow within one tick.
import { NotFoundError, OptionError, PolicyConflictError } from '../../kernel/errors/index.js';
import type { CallContext } from '../api/policy-service.js';
import type { AuditSink } from '../audit/audit-log.js';
import { authorize, canView } from '../auth/rbac.js';
import { checkObjectName } from '../policy/object-name.js';
import type { StoredPolicy } from '../store/policy-record.js';
import { type Command, command, startRollout } from './machine.js';
import type { RolloutStore } from './rollout-store.js';
import { type RolloutView, rolloutView } from './rollout-view.js';
import { isActive, type RolloutState } from './state.js';

export interface RolloutServiceDeps {
  readonly store: RolloutStore;
  readonly policies: { get(namespace: string, name: string): Promise<StoredPolicy | undefined> };
  readonly audit?: AuditSink;
  /** Mutating calls take from the caller's bucket, like policy changes (docs/OPERATIONS.md). */
  readonly rateLimiter?: { take(id: string): void };
  readonly now?: () => number;
}

export const ROLLOUT_COMMANDS: readonly Command[] = ['promote', 'abort', 'pause', 'resume'];

/**
 * The controller writes the state on every judged sample (once per analysis interval while a
 * rollout progresses), so a command's compare-and-set can lose to it; the command is then
 * decided again on the newer state. A few tries: the controller writes at most once a tick.
 */
const CAS_ATTEMPTS = 5;

/** The store's compare-and-set refusal, told apart from the service's own phase refusals. */
class LostRace extends Error {
  constructor(override readonly cause: PolicyConflictError) {
    super(cause.message);
  }
}

async function putOrLose(store: RolloutStore, state: RolloutState, expected: number): Promise<number> {
  try {
    return await store.put(state, expected);
  } catch (err) {
    if (err instanceof PolicyConflictError) throw new LostRace(err);
    throw err;
  }
}

/** Runs `attempt` again (it re-reads the state) while its write loses to a concurrent one. */
async function retryLostRace<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof LostRace)) throw err;
      if (i >= CAS_ATTEMPTS) throw err.cause;
    }
  }
}

function who(ctx: CallContext): string {
  return ctx.principal.id;
}

/** The other version with the most weight: what the candidate is compared against. */
function stableFor(route: StoredPolicy['route'], candidate: string, named?: string): string | undefined {
  if (named !== undefined && named !== candidate) return named;
  const others = route.spec.versions.filter((v) => v.name !== candidate);
  return others.reduce<(typeof others)[number] | undefined>(
    (b, v) => (v.weight > (b?.weight ?? -1) ? v : b),
    undefined,
  )?.name;
}

export class RolloutService {
  constructor(private readonly deps: RolloutServiceDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private limit(ctx: CallContext): void {
    if (ctx.principal.kind !== 'system') this.deps.rateLimiter?.take(ctx.principal.id);
  }

  private async audited(ctx: CallContext, namespace: string, name: string, reason: string): Promise<void> {
    await this.deps.audit?.append({
      action: 'rollout',
      who: who(ctx),
      at: new Date(this.now()).toISOString(),
      from: ctx.from,
      via: ctx.via,
      namespace,
      name,
      reason,
    });
  }

  async start(
    ctx: CallContext,
    namespace: string,
    name: string,
    opts: { candidate?: string; reason?: string } = {},
  ): Promise<RolloutView> {
    checkObjectName('namespace', namespace);
    checkObjectName('name', name);
    authorize(ctx.principal, 'rollout', namespace);
    this.limit(ctx);
    const policy = await this.deps.policies.get(namespace, name);
    if (!policy) throw new NotFoundError(`policy ${namespace}/${name} does not exist`);
    const base = policy.route.spec.rollout;
    if (!base)
      throw new OptionError(
        `policy ${namespace}/${name} has no spec.rollout: add its steps and analysis first (docs/ROLLOUTS.md)`,
      );
    const candidate = opts.candidate ?? base.candidate;
    const versions = policy.route.spec.versions.map((v) => v.name);
    if (!versions.includes(candidate))
      throw new OptionError(
        `--candidate: ${JSON.stringify(candidate)} is not a version of ${namespace}/${name} (versions: ${versions.join(', ')})`,
      );
    const stable = stableFor(policy.route, candidate, base.stable);
    if (!stable)
      throw new OptionError(`${namespace}/${name} has no other version to compare ${candidate} with`);
    const route = `${namespace}/${name}`;
    const weight = (v: string) => policy.route.spec.versions.find((x) => x.name === v)?.weight ?? 0;
    const share = weight(stable) + weight(candidate) || 100;
    const spec = { ...base, candidate, stable };
    let audited = false;
    // A finished rollout's record is still the controller's to write (hooks, release).
    return retryLostRace(async () => {
      const existing = await this.deps.store.get(route);
      if (existing && isActive(existing.state))
        throw new PolicyConflictError(
          `rollout ${route} of ${existing.state.candidate} is ${existing.state.phase}: abort or promote it first`,
        );
      const t = startRollout(route, policy.route.spec.model, spec, stable, share, this.now());
      if (!audited) {
        await this.audited(ctx, namespace, name, `start ${t.reason}${opts.reason ? `: ${opts.reason}` : ''}`);
        audited = true;
      }
      const revision = await putOrLose(this.deps.store, t.state, existing?.revision ?? 0);
      return rolloutView({ state: t.state, revision }, this.now());
    });
  }

  async status(ctx: CallContext, namespace: string, name: string): Promise<RolloutView> {
    checkObjectName('namespace', namespace);
    checkObjectName('name', name);
    authorize(ctx.principal, 'rollout-status', namespace);
    const stored = await this.deps.store.get(`${namespace}/${name}`);
    if (!stored) throw new NotFoundError(`no rollout of ${namespace}/${name}`);
    return rolloutView(stored, this.now());
  }

  async list(ctx: CallContext, namespace?: string): Promise<RolloutView[]> {
    if (namespace) {
      checkObjectName('namespace', namespace);
      authorize(ctx.principal, 'rollout-status', namespace);
    }
    return (await this.deps.store.list())
      .filter((r) => {
        const ns = r.state.route.split('/')[0] ?? '';
        return namespace ? ns === namespace : canView(ctx.principal, ns);
      })
      .map((r) => rolloutView(r, this.now()));
  }

  async command(
    ctx: CallContext,
    namespace: string,
    name: string,
    cmd: Command,
    reason?: string,
  ): Promise<RolloutView> {
    if (!ROLLOUT_COMMANDS.includes(cmd))
      throw new OptionError(`unknown rollout command ${JSON.stringify(cmd)}`);
    checkObjectName('namespace', namespace);
    checkObjectName('name', name);
    authorize(ctx.principal, 'rollout', namespace);
    this.limit(ctx);
    const route = `${namespace}/${name}`;
    let audited: string | undefined;
    return retryLostRace(async () => {
      const stored = await this.deps.store.get(route);
      if (!stored) throw new NotFoundError(`no rollout of ${namespace}/${name}`);
      const t = command(stored.state.spec, stored.state, cmd, this.now(), who(ctx));
      if (!t)
        throw new PolicyConflictError(
          `rollout ${route} is ${stored.state.phase}: it cannot be told to ${cmd}`,
        );
      const text = `${t.reason ?? cmd}${reason ? `: ${reason}` : ''}`;
      // Audited once, and again only if the newer state changed what the command does.
      if (text !== audited) await this.audited(ctx, namespace, name, text);
      audited = text;
      const revision = await putOrLose(this.deps.store, t.state, stored.revision);
      return rolloutView({ state: t.state, revision }, this.now());
    });
  }
}
