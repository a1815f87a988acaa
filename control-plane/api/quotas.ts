// Per-namespace quotas on applied policies: how many policies, versions and static endpoints one
// namespace may hold in all. A namespace operator can otherwise grow every proxy's CDS and EDS
// without bound. Pure: the caller passes the namespace's live policies. docs/OPERATIONS.md,
// "Limits and quotas".
import { QuotaExceededError } from '../../kernel/errors/index.js';
import type { ModelRoute } from '../policy/index.js';

export interface NamespaceQuotas {
  readonly policies: number;
  readonly versions: number;
  readonly endpoints: number;
}

export const DEFAULT_NAMESPACE_QUOTAS: NamespaceQuotas = { policies: 100, versions: 400, endpoints: 4096 };

function usage(routes: readonly ModelRoute[]): NamespaceQuotas {
  let versions = 0;
  let endpoints = 0;
  for (const r of routes)
    for (const v of r.spec.versions) {
      versions++;
      endpoints += v.endpoints?.length ?? 0;
    }
  return { policies: routes.length, versions, endpoints };
}

/**
 * Throws SY_QUOTA_EXCEEDED when putting `route` (new, or replacing the policy of the same name)
 * would take its namespace over a quota. Only growth is refused: a namespace already over a
 * lowered quota may still shrink.
 */
export function checkNamespaceQuotas(
  live: readonly ModelRoute[],
  route: ModelRoute,
  quotas: NamespaceQuotas,
): void {
  const { namespace, name } = route.metadata;
  const mine = live.filter((r) => r.metadata.namespace === namespace);
  const before = usage(mine);
  const after = usage([...mine.filter((r) => r.metadata.name !== name), route]);
  for (const key of ['policies', 'versions', 'endpoints'] as const) {
    if (after[key] > quotas[key] && after[key] > before[key])
      throw new QuotaExceededError(
        `namespace ${namespace} would hold ${after[key]} ${key === 'endpoints' ? 'static endpoints' : key} with ${namespace}/${name}; its quota is ${quotas[key]} (--quota-${key})`,
      );
  }
}
