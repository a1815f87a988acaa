// Rollouts and the model registry (docs/ROLLOUTS.md, "With the registry"): a registry version
// moved to stage `canary` starts a rollout on every ModelRoute that has a `spec.rollout` and
// exactly one version backed by it (that version is the candidate); a promoted rollout records
// `canary completed` on its candidate's registry version and moves it to `production` through
// the model service, so the namespace's promotion policy and the audit apply. A refusal is
// returned as the note the controller records in the rollout's history.
import { asSwitchyardError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { CallContext } from '../api/policy-service.js';
import { registryRefOf } from '../policy/registry-ref.js';
import { type RegistryRef, refText } from '../registry/names.js';
import type { Stage } from '../registry/record.js';
import type { StoredPolicy } from '../store/policy-record.js';
import type { RolloutHooks } from './controller.js';
import type { RolloutState } from './state.js';

/** What the link needs of the model service (control-plane/api/model-service.ts). */
export interface RegistryStages {
  describe(c: CallContext, ref: RegistryRef): Promise<{ stage: Stage; canaryCompleted?: unknown }>;
  stage(c: CallContext, ref: RegistryRef, stage: Stage, reason?: string): Promise<unknown>;
  recordCanaryCompleted(c: CallContext, ref: RegistryRef): Promise<unknown>;
}

export interface RolloutStarter {
  start(
    c: CallContext,
    namespace: string,
    name: string,
    opts: { candidate?: string; reason?: string },
  ): Promise<unknown>;
}

export interface CanaryTarget {
  readonly namespace: string;
  readonly name: string;
  readonly candidate: string;
}

const sameRef = (a: RegistryRef | undefined, b: RegistryRef): boolean =>
  !!a && a.name === b.name && a.version === b.version;

/**
 * The routes a version moved to canary starts a rollout on (pure): those with a `spec.rollout`
 * and exactly one version backed by `ref`. Two versions backed by the same registry version
 * would make the candidate ambiguous: such a route is left to an operator.
 */
export function canaryTargets(policies: readonly StoredPolicy[], ref: RegistryRef): CanaryTarget[] {
  const out: CanaryTarget[] = [];
  for (const p of policies) {
    if (!p.route.spec.rollout) continue;
    const backed = p.route.spec.versions.filter((v) => sameRef(registryRefOf(v), ref));
    if (backed.length !== 1) continue;
    out.push({ namespace: p.namespace, name: p.name, candidate: backed[0]!.name });
  }
  return out;
}

/** Called after a registry stage change: starts the rollouts a move to `canary` asks for. */
export function registryTrigger(d: {
  readonly policies: { list(): Promise<StoredPolicy[]> };
  readonly rollouts: RolloutStarter;
  readonly principal: CallContext;
  readonly log: Logger;
}): (ref: RegistryRef, stage: Stage) => Promise<void> {
  return async (ref, stage) => {
    if (stage !== 'canary') return;
    for (const t of canaryTargets(await d.policies.list(), ref)) {
      try {
        await d.rollouts.start(d.principal, t.namespace, t.name, {
          candidate: t.candidate,
          reason: `registry ${refText(ref)} moved to canary`,
        });
        d.log.info('rollout: started by the registry', {
          route: `${t.namespace}/${t.name}`,
          ref: refText(ref),
        });
      } catch (err) {
        // A rollout already in progress on the route keeps going; the operator decides.
        d.log.warn('rollout: not started by the registry', {
          route: `${t.namespace}/${t.name}`,
          ref: refText(ref),
          error: asSwitchyardError(err).message,
        });
      }
    }
  };
}

/** onPromoted: the candidate's registry version gets `canary completed`, then `production`. */
export function registryHooks(d: {
  readonly models: RegistryStages;
  readonly policies: { get(namespace: string, name: string): Promise<StoredPolicy | undefined> };
  readonly principal: CallContext;
}): RolloutHooks {
  return {
    async onPromoted(state: RolloutState) {
      const [namespace = '', name = ''] = state.route.split('/');
      const policy = await d.policies.get(namespace, name);
      const version = policy?.route.spec.versions.find((v) => v.name === state.candidate);
      const ref = version && registryRefOf(version);
      if (!ref) return undefined;
      const reason = `rollout ${state.model} ${state.candidate} promoted`;
      try {
        // Idempotent: a replica that took over after the change finds it done.
        const now = await d.models.describe(d.principal, ref);
        if (!now.canaryCompleted) await d.models.recordCanaryCompleted(d.principal, ref);
        if (now.stage !== 'production') await d.models.stage(d.principal, ref, 'production', reason);
        return `registry ${refText(ref)}: canary completed, stage production`;
      } catch (err) {
        return `registry ${refText(ref)}: stays in its stage: ${asSwitchyardError(err).message}`;
      }
    },
  };
}
