// Liveness and Prometheus exposition.
import type { Registry } from 'prom-client';
import type { AdminRoute } from '../router.js';

export function coreRoutes(deps: { registry: Registry; ready: () => boolean }): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      handle: () =>
        deps.ready() ? { body: { status: 'ok' } } : { status: 503, body: { status: 'starting' } },
    },
    {
      method: 'GET',
      path: '/metrics',
      handle: async () => ({
        headers: { 'content-type': deps.registry.contentType },
        body: await deps.registry.metrics(),
      }),
    },
  ];
}
