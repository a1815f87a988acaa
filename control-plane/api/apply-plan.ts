// What an apply would do, decided before anything is written: the live revision it bases on,
// the namespace quotas, "unchanged" for a repeat, and the one-policy-per-model rule. A real
// apply and a dry run both start here, so a dry run refuses exactly what an apply refuses.
import { PolicyConflictError } from '../../kernel/errors/index.js';
import type { ModelRoute } from '../policy/index.js';
import { type StoredPolicy, sameDocument } from '../store/policy-record.js';
import type { PolicyStore } from '../store/policy-store.js';
import { checkNamespaceQuotas, type NamespaceQuotas } from './quotas.js';

/** `base`: the compare-and-set base (0: the policy must not exist). */
export type ApplyPlan =
  | { readonly live: StoredPolicy; readonly base: number; readonly outcome: 'configured' | 'unchanged' }
  | { readonly live: undefined; readonly base: number; readonly outcome: 'created' };

export interface PlanInput {
  readonly document: unknown;
  readonly expectedRevision?: number;
  readonly autoRollback?: boolean;
}

/** `quotas`: undefined for the control plane's own writers, which quotas do not bind. */
export async function planApply(
  store: PolicyStore,
  route: ModelRoute,
  req: PlanInput,
  quotas: NamespaceQuotas | undefined,
): Promise<ApplyPlan> {
  const { namespace, name } = route.metadata;
  const live = await store.get(namespace, name);
  const base = req.expectedRevision ?? live?.revision ?? 0;
  // One listing serves the quota check and the conflict check.
  let listing: StoredPolicy[] | undefined;
  const all = async () => {
    listing ??= await store.list();
    return listing;
  };
  if (quotas)
    checkNamespaceQuotas(
      (await all()).map((p) => p.route),
      route,
      quotas,
    );
  if (
    live &&
    live.revision === base &&
    sameDocument(live.record.document, req.document) &&
    !!live.record.autoRollback === !!req.autoRollback
  )
    return { live, base, outcome: 'unchanged' };
  await refuseConflict(store, route, await all());
  return live ? { live, base, outcome: 'configured' } : { live, base, outcome: 'created' };
}

/**
 * One policy per model: a write that would make a second policy route a model is refused,
 * naming the policy that has it, instead of being stored and then never served.
 */
export async function refuseConflict(
  store: PolicyStore,
  route: ModelRoute,
  listing?: readonly StoredPolicy[],
): Promise<void> {
  const { namespace, name } = route.metadata;
  const owner = (listing ?? (await store.list())).find(
    (p) => p.route.spec.model === route.spec.model && !(p.namespace === namespace && p.name === name),
  );
  if (owner)
    throw new PolicyConflictError(
      `policy ${namespace}/${name} not applied: model ${JSON.stringify(route.spec.model)} is already routed by ${owner.namespace}/${owner.name}; one policy per model (delete or change that policy first)`,
    );
}
