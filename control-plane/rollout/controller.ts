// The rollout controller: on the replica holding the lease (or alone, without one), every
// analysis interval it judges each progressing rollout on the figures since its last decision,
// steps the machine, persists the state (fenced), then makes the route carry the state's traffic
// as a policy revision through the policy service, so history, audit and rollback see it.
// State first, policy second: a replica that dies in between leaves a state the next leader
// converges the route to, so no step is repeated or skipped. A step is judged only while the route
// carries its traffic: one found missing is written first and the step's clock starts then.
// Every write is conditional on what the tick read: the state's on its KV revision, the policy's
// on the policy revision it was built from, and the policy's also on the state revision it
// carries, read again just before, so an operator's command landing meanwhile (an abort) is not
// followed by a revision of the traffic it replaced. docs/ROLLOUTS.md, "Failover".
import { asSwitchyardError } from '../../kernel/errors/index.js';
import { type Logger, RepeatedFailures } from '../../kernel/log/index.js';
import type { CallContext, PolicyService } from '../api/policy-service.js';
import type { Lease } from '../lease/index.js';
import { rolloutDurationMs } from '../policy/rollout.js';
import type { StoredPolicy } from '../store/policy-record.js';
import { analyze } from './analysis.js';
import { sumFigures, type VersionFigures } from './figures.js';
import type { HeartbeatFigures } from './heartbeat-figures.js';
import { evaluate } from './machine.js';
import { planRelease } from './release.js';
import type { RolloutStore, StoredRollout } from './rollout-store.js';
import { carries, desiredTraffic, withTraffic } from './route-traffic.js';
import { type RolloutState, withDecision } from './state.js';

/** Hooks for what lies beyond routing (a model registry moving the candidate to production). */
export interface RolloutHooks {
  /**
   * After the route carries a promoted candidate; what it returns is recorded in the rollout's
   * history. May run again when a replica dies before that record: be idempotent.
   */
  onPromoted?(state: RolloutState): Promise<string | undefined>;
}

export interface RolloutControllerDeps {
  readonly store: RolloutStore;
  readonly policies: { get(namespace: string, name: string): Promise<StoredPolicy | undefined> };
  readonly service: () => PolicyService;
  readonly figures: HeartbeatFigures;
  /** Absent: a single control plane, which always acts. */
  readonly lease?: Pick<Lease, 'isHeld' | 'token' | 'checkFence'>;
  readonly log: Logger;
  readonly hooks?: RolloutHooks;
  readonly now?: () => number;
  /** How often tick() runs when started; each rollout's own interval is at least this. */
  readonly tickMs?: number;
}

export const ROLLOUT_PRINCIPAL: CallContext = {
  principal: { id: 'system:rollout', kind: 'system', bindings: [{ role: 'admin', namespaces: ['*'] }] },
  from: 'local',
  via: 'system',
};

/** The decisions that change traffic, whose reason a reconciling revision carries. */
const TRAFFIC_OUTCOMES = new Set(['advance', 'promoted', 'rolled-back', 'aborted', 'resumed']);

interface Sample {
  candidate: VersionFigures;
  stable: VersionFigures;
  /** The state generation the sample belongs to: a step change starts a new one. */
  step: number;
}

/** Window summaries are states, not increments: the newest replaces the sample. */
function accumulate(prev: VersionFigures | undefined, next: VersionFigures): VersionFigures {
  if (!prev || next.p99Ms !== undefined) return next;
  return sumFigures([prev, next]);
}

/**
 * A store that is down fails every tick (four a second): one warning per this interval, with the
 * count, and a line when it works again (docs/ROLLOUTS.md, "Failover").
 */
const FAILURE_LOG_INTERVAL_MS = 10_000;

export class RolloutController {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly samples = new Map<string, Sample>();
  private readonly lastRun = new Map<string, number>();
  private readonly failures: RepeatedFailures;

  constructor(private readonly deps: RolloutControllerDeps) {
    this.failures = new RepeatedFailures(deps.log, FAILURE_LOG_INTERVAL_MS, () => this.now());
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  start(): void {
    const every = this.deps.tickMs ?? 250;
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .then(
          () => this.failures.succeeded('tick', 'rollout: ticks work again'),
          (err) =>
            this.failures.failed('tick', 'rollout: tick failed', { error: asSwitchyardError(err).message }),
        )
        .finally(() => {
          this.running = undefined;
        });
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every rollout; exported for tests that drive time themselves. */
  async tick(): Promise<void> {
    const lease = this.deps.lease;
    if (lease && !lease.isHeld()) {
      // A follower judges nothing; the next leader starts fresh samples from the pods. Counters
      // received meanwhile describe whatever traffic the route had then: never part of a sample.
      this.samples.clear();
      this.deps.figures.dropCounters();
      return;
    }
    const token = lease?.token();
    for (const stored of await this.deps.store.list()) {
      const route = stored.state.route;
      try {
        await this.process(stored, token);
        this.failures.succeeded(`step ${route}`, 'rollout: steps work again', { route });
      } catch (err) {
        this.failures.failed(`step ${route}`, 'rollout: step failed', {
          route,
          error: asSwitchyardError(err).message,
        });
      }
    }
  }

  private async fence(token: number | undefined): Promise<void> {
    if (token !== undefined) await this.deps.lease?.checkFence(token);
  }

  private due(state: RolloutState, nowMs: number): boolean {
    const every = Math.max(1, Math.round(rolloutDurationMs(state.spec.analysis.interval)));
    const last = this.lastRun.get(state.route) ?? 0;
    if (nowMs - last < every) return false;
    this.lastRun.set(state.route, nowMs);
    return true;
  }

  private async process(stored: StoredRollout, token: number | undefined): Promise<void> {
    let state = stored.state;
    let revision = stored.revision;
    if (state.phase === 'progressing' && (await this.stepTrafficMissing(stored, token))) return;
    const nowMs = this.now();
    if (state.phase === 'progressing' && this.due(state, nowMs)) {
      const step = state.spec.steps[state.step];
      const prev = this.samples.get(state.route);
      const fresh = prev && prev.step === state.step ? prev : undefined;
      const sample: Sample = {
        candidate: accumulate(fresh?.candidate, this.deps.figures.take(state.model, state.candidate)),
        stable: accumulate(fresh?.stable, this.deps.figures.take(state.model, state.stable)),
        step: state.step,
      };
      const kind = step?.mirror !== undefined ? 'mirror' : 'weight';
      const verdict = analyze(state.spec.analysis, kind, sample.candidate, sample.stable);
      if (verdict.outcome === 'inconclusive') this.samples.set(state.route, sample);
      else this.samples.delete(state.route);
      const t = evaluate(state.spec, state, nowMs, verdict);
      if (t.state !== state) {
        await this.fence(token);
        revision = await this.deps.store.put(t.state, stored.revision);
        if (t.state.step !== state.step) this.samples.delete(state.route);
        if (t.reason) this.deps.log.info('rollout: decision', { route: state.route, reason: t.reason });
        state = t.state;
      }
    } else if (state.phase !== 'progressing') {
      // Keep counters from piling up into the next sample while nothing is judged.
      this.deps.figures.take(state.model, state.candidate);
      this.deps.figures.take(state.model, state.stable);
    }
    await this.reconcile(state, revision, token);
  }

  /**
   * A progressing step whose traffic the route does not carry (its leader died between the state
   * and the revision, or the revision was refused): judging it now would pass or fail a step on
   * figures of the previous traffic, and an advance would skip its revision. Its revision is
   * written instead, and its clock and sample start over from there: the step gets its full time
   * on its own traffic. True when the step was not judged for that reason, or because the
   * rollout changed since the tick read it (the next tick starts from the newer state).
   */
  private async stepTrafficMissing(stored: StoredRollout, token: number | undefined): Promise<boolean> {
    const state = stored.state;
    const applied = await this.applyTraffic(state, stored.revision, token);
    if (applied === 'carried') return false;
    if (applied === 'stale') return true;
    const nowMs = this.now();
    this.samples.delete(state.route);
    this.lastRun.set(state.route, nowMs);
    this.deps.figures.take(state.model, state.candidate);
    this.deps.figures.take(state.model, state.stable);
    await this.fence(token);
    await this.deps.store.put(
      { ...state, stepStartedAtMs: nowMs, generation: state.generation + 1 },
      stored.revision,
    );
    return true;
  }

  /** Makes the route carry the state's traffic, as one revision naming the decision. */
  private async reconcile(state: RolloutState, revision: number, token: number | undefined): Promise<void> {
    const [namespace = '', name = ''] = state.route.split('/');
    if ((await this.applyTraffic(state, revision, token)) === 'stale') return;
    const after = await this.afterPromotion(state, token);
    await this.release(after, namespace, name, token);
  }

  /**
   * Writes the traffic of `state` (stored at `revision`) when the route does not carry it:
   * 'wrote'; 'carried' when there is nothing to write; 'stale' when the rollout is no longer at
   * `revision` (an operator's command, or another replica, wrote it since the tick read it).
   * The policy write itself is conditional on the policy revision it was built from.
   */
  private async applyTraffic(
    state: RolloutState,
    revision: number,
    token: number | undefined,
  ): Promise<'wrote' | 'carried' | 'stale'> {
    const [namespace = '', name = ''] = state.route.split('/');
    const policy = await this.deps.policies.get(namespace, name);
    if (!policy) return 'carried';
    const traffic = desiredTraffic(state);
    if (carries(policy.route, state, traffic)) return 'carried';
    const reason =
      state.history.find((d) => TRAFFIC_OUTCOMES.has(d.outcome))?.reason ??
      `rollout ${state.model} ${state.candidate}: ${state.phase}`;
    // KV has no write conditional on two keys: the state is read again as late as possible.
    // Only a command landing between this read and the policy write (the fence check and the
    // policy service's own round trips) can still be followed by one revision of the traffic
    // it replaced, which the next tick undoes.
    const current = await this.deps.store.get(state.route);
    if (current?.revision !== revision) {
      this.deps.log.info('rollout: changed meanwhile; the next tick follows the newer state', {
        route: state.route,
        read: revision,
        now: current?.revision ?? 0,
      });
      return 'stale';
    }
    await this.fence(token);
    await this.deps.service().apply(ROLLOUT_PRINCIPAL, {
      document: withTraffic(policy.route, state, traffic),
      reason,
      expectedRevision: policy.revision,
    });
    this.deps.log.info('rollout: traffic', { route: state.route, reason, ...traffic });
    return 'wrote';
  }

  /**
   * Releases the old stable's replicas once the grace after promotion is over: the revision
   * first, then the state's flag. A replica dying in between leaves a route that already asks
   * for no replicas; the next leader only sets the flag (plan `done`), never a second revision.
   */
  private async release(state: RolloutState, namespace: string, name: string, token: number | undefined) {
    if (state.phase !== 'succeeded' || state.released) return;
    const policy = await this.deps.policies.get(namespace, name);
    if (!policy) return;
    const plan = planRelease(policy.route, state, this.now());
    if (plan.kind === 'none' || plan.kind === 'wait') return;
    const stored = await this.deps.store.get(state.route);
    if (!stored || stored.state.generation !== state.generation) return;
    if (plan.kind === 'write') {
      await this.fence(token);
      await this.deps.service().apply(ROLLOUT_PRINCIPAL, {
        document: plan.document,
        reason: plan.reason,
        expectedRevision: policy.revision,
      });
      this.deps.log.info('rollout: released', { route: state.route, reason: plan.reason });
    }
    const reason =
      plan.kind === 'write'
        ? plan.reason
        : `rollout ${state.model} ${state.candidate}: replicas of ${state.stable} already released`;
    const history = withDecision(state, { atMs: this.now(), step: state.step, outcome: 'released', reason });
    await this.fence(token);
    await this.deps.store.put(
      { ...state, released: true, generation: state.generation + 1, history },
      stored.revision,
    );
  }

  /** Runs the promotion hooks once per rollout and records what they did. */
  private async afterPromotion(state: RolloutState, token: number | undefined): Promise<RolloutState> {
    const hook = this.deps.hooks?.onPromoted;
    if (state.phase !== 'succeeded' || state.hooksDone || !hook) return state;
    const note = await hook(state);
    const stored = await this.deps.store.get(state.route);
    if (!stored || stored.state.generation !== state.generation) return state;
    const history = note
      ? withDecision(state, { atMs: this.now(), step: state.step, outcome: 'hook', reason: note })
      : state.history;
    const next: RolloutState = { ...state, hooksDone: true, generation: state.generation + 1, history };
    await this.fence(token);
    await this.deps.store.put(next, stored.revision);
    if (note) this.deps.log.info('rollout: after promotion', { route: state.route, note });
    return next;
  }
}
