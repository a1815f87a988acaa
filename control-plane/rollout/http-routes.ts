// The rollout routes of the admin HTTP API (docs/openapi.yaml, docs/ROLLOUTS.md): start, status,
// list, and one route per command. The caller is authenticated like every /api/v1 route;
// RolloutService authorizes and audits.
import { OptionError } from '../../kernel/errors/index.js';
import type { AdminRequest, AdminRoute } from '../admin/router.js';
import { callContext } from '../api/http-routes.js';
import { reasonParam } from '../api/reason.js';
import type { Authenticator } from '../auth/authenticator.js';
import { ROLLOUT_COMMANDS, type RolloutService } from './rollout-service.js';

export interface RolloutRouteDeps {
  readonly service: RolloutService;
  readonly authn: Authenticator;
}

interface StartBody {
  candidate?: unknown;
  reason?: unknown;
}

export function rolloutRoutes(d: RolloutRouteDeps): AdminRoute[] {
  const ctx = (req: AdminRequest) => callContext(d.authn, req);
  const ns = (req: AdminRequest) => req.params.namespace!;
  const name = (req: AdminRequest) => req.params.name!;
  const base = '/api/v1/namespaces/:namespace/rollouts/:name';
  return [
    {
      method: 'GET',
      path: '/api/v1/rollouts',
      handle: async (req) => ({
        body: { rollouts: await d.service.list(await ctx(req), req.query.get('namespace') ?? undefined) },
      }),
    },
    {
      method: 'GET',
      path: base,
      handle: async (req) => ({ body: await d.service.status(await ctx(req), ns(req), name(req)) }),
    },
    {
      method: 'POST',
      path: base,
      handle: async (req) => {
        const body = req.json<StartBody>() ?? {};
        if (body.candidate !== undefined && typeof body.candidate !== 'string')
          throw new OptionError('candidate: must be a version name');
        const reason = reasonParam(body.reason, 'reason');
        const view = await d.service.start(await ctx(req), ns(req), name(req), {
          ...(typeof body.candidate === 'string' ? { candidate: body.candidate } : {}),
          ...(reason ? { reason } : {}),
        });
        return { status: 201, body: view };
      },
    },
    ...ROLLOUT_COMMANDS.map(
      (cmd): AdminRoute => ({
        method: 'POST',
        path: `${base}/${cmd}`,
        handle: async (req) => {
          const reason = reasonParam(req.json<{ reason?: unknown }>()?.reason, 'reason');
          return { body: await d.service.command(await ctx(req), ns(req), name(req), cmd, reason) };
        },
      }),
    ),
  ];
}
