// Liveness, readiness and Prometheus exposition; each is public or needs a viewer, as the auth
// config says (its `public.healthz` covers both probes).
import type { Registry } from 'prom-client';
import { evaluate, type ReadinessCheck } from '../readiness.js';
import type { AdminRequest, AdminRoute } from '../router.js';

export interface CoreDeps {
  readonly registry: Registry;
  /** What /readyz checks (readiness.ts). */
  readonly readiness: () => readonly ReadinessCheck[];
  /** Throws (401/403) when the caller may not read this endpoint. */
  readonly guard: (req: AdminRequest, what: 'healthz' | 'metrics') => Promise<void>;
}

export function coreRoutes(deps: CoreDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      // Liveness: answering at all proves the event loop turns. Nothing else is checked, so an
      // orchestrator restarts only a stuck process, never one waiting on its store.
      handle: async (req) => {
        await deps.guard(req, 'healthz');
        return { body: { status: 'ok', uptimeSeconds: Math.round(process.uptime()) } };
      },
    },
    {
      method: 'GET',
      path: '/readyz',
      handle: async (req) => {
        await deps.guard(req, 'healthz');
        const r = await evaluate(deps.readiness());
        return r.ready
          ? { body: { status: 'ready', checks: r.checks } }
          : { status: 503, body: { status: 'not ready', reasons: r.reasons, checks: r.checks } };
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
