// What operators read about xDS: connected proxies with their sync state, snapshots per group,
// and the policies currently loaded with any file that was rejected.
import type { PolicyDirectoryState } from '../../pipeline/policy-directory.js';
import type { GroupStatus } from '../../pipeline/snapshot-publisher.js';
import type { ProxyRegistry } from '../../xds/status/proxy-registry.js';
import type { AdminRoute } from '../router.js';

export interface XdsStatusDeps {
  readonly registry: ProxyRegistry;
  readonly groups: () => GroupStatus[];
  readonly policies: () => PolicyDirectoryState;
}

export function xdsStatusRoutes(deps: XdsStatusDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/proxies',
      handle: () => ({ body: { proxies: deps.registry.list() } }),
    },
    {
      method: 'GET',
      path: '/api/v1/snapshots',
      handle: () => ({ body: { groups: deps.groups() } }),
    },
    {
      method: 'GET',
      path: '/api/v1/policies',
      handle: () => {
        const s = deps.policies();
        return {
          body: {
            policies: s.policies.map((p) => ({
              source: p.source,
              namespace: p.route.metadata.namespace,
              name: p.route.metadata.name,
              model: p.route.spec.model,
              versions: p.route.spec.versions.map((v) => ({ name: v.name, weight: v.weight })),
            })),
            errors: s.errors,
          },
        };
      },
    },
  ];
}
