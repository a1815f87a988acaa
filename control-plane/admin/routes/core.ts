// Liveness and Prometheus exposition; each is public or needs a viewer, as the auth config says.
import type { Registry } from 'prom-client';
import type { AdminRequest, AdminRoute } from '../router.js';

export interface CoreDeps {
  readonly registry: Registry;
  readonly ready: () => boolean;
  /** Throws (401/403) when the caller may not read this endpoint. */
  readonly guard: (req: AdminRequest, what: 'healthz' | 'metrics') => Promise<void>;
}

export function coreRoutes(deps: CoreDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      handle: async (req) => {
        await deps.guard(req, 'healthz');
        return deps.ready() ? { body: { status: 'ok' } } : { status: 503, body: { status: 'starting' } };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handle: async (req) => {
        await deps.guard(req, 'metrics');
        return {
          headers: { 'content-type': deps.registry.contentType },
          body: await deps.registry.metrics(),
        };
      },
    },
  ];
}
