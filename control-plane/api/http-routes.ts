// The admin HTTP API under /api/v1 (docs/openapi.yaml documents it). Every route authenticates
// the caller and checks its role; the work is done by PolicyService and the status sources.

import { OptionError } from '../../kernel/errors/index.js';
import type { AdminRequest, AdminRoute } from '../admin/router.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Authenticator } from '../auth/authenticator.js';
import { allowed, authorize } from '../auth/rbac.js';
import type { LeaseStatus } from '../lease/index.js';
import type { GroupStatus, ModelProblem } from '../pipeline/snapshot-publisher.js';
import type { ProxyRegistry } from '../xds/status/proxy-registry.js';
import type { CallContext, PolicyService } from './policy-service.js';
import { reasonParam } from './reason.js';

export interface ApiDeps {
  readonly service: PolicyService;
  readonly authn: Authenticator;
  readonly proxies: ProxyRegistry;
  readonly groups: () => GroupStatus[];
  /** Models and policies not served as written (conflicts, per-model faults). */
  readonly models?: () => ModelProblem[];
  readonly endpoints: () => unknown[];
  /** Placement of registry versions and the scaling signal (docs/PLACEMENT.md); absent without NATS. */
  readonly placement?: () => Promise<unknown>;
  /** Problems with GitOps policy files (shown next to the policies). */
  readonly fileErrors: () => unknown[];
  readonly audit?: AuditLog;
  /** Which replica leads singleton work, its fencing token and lease expiry (with a NATS store). */
  readonly leader?: () => LeaseStatus;
}

export async function callContext(authn: Authenticator, req: AdminRequest): Promise<CallContext> {
  const der = req.peerVerified ? req.peerCertificate?.raw : undefined;
  const principal = await authn.authenticate({
    headers: req.headers,
    ...(der ? { verifiedPeerCertificate: new Uint8Array(der) } : {}),
  });
  return { principal, from: req.remoteAddress, via: 'http' };
}

function revisionParam(v: string | null | undefined, what: string): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new OptionError(`${what}: ${JSON.stringify(v)} is not a revision number`);
  return n;
}

/** `?dryRun=true`: a boolean query parameter, spelled out so a typo is not a real apply. */
function dryRunParam(v: string | null): boolean {
  if (v === null || v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw new OptionError(`dryRun: ${JSON.stringify(v)} is not true or false`);
}

interface ApplyBody {
  document?: unknown;
  reason?: unknown;
  autoRollback?: boolean;
  expectedRevision?: number;
}

export function apiRoutes(d: ApiDeps): AdminRoute[] {
  const ctx = (req: AdminRequest) => callContext(d.authn, req);
  const applyFrom = async (req: AdminRequest, path?: { namespace: string; name: string }) => {
    const c = await ctx(req);
    const body = req.json<ApplyBody>() ?? {};
    const meta = (body.document as { metadata?: { namespace?: string; name?: string } } | undefined)
      ?.metadata;
    if (path && (meta?.namespace !== path.namespace || meta?.name !== path.name))
      throw new OptionError(
        `the document's metadata (${meta?.namespace}/${meta?.name}) does not match the URL (${path.namespace}/${path.name})`,
      );
    const key = req.headers['idempotency-key'];
    const reason = reasonParam(body.reason, 'reason');
    const dryRun = dryRunParam(req.query.get('dryRun'));
    const result = await d.service.apply(c, {
      document: body.document,
      ...(reason ? { reason } : {}),
      ...(body.autoRollback ? { autoRollback: true } : {}),
      ...(body.expectedRevision !== undefined
        ? { expectedRevision: revisionParam(String(body.expectedRevision), 'expectedRevision')! }
        : {}),
      ...(typeof key === 'string' && key ? { idempotencyKey: key } : {}),
      ...(dryRun ? { dryRun: true } : {}),
    });
    return { status: result.outcome === 'created' ? 201 : 200, body: result };
  };
  const ns = (req: AdminRequest) => req.params.namespace!;
  const name = (req: AdminRequest) => req.params.name!;
  return [
    {
      method: 'GET',
      path: '/api/v1/policies',
      handle: async (req) => {
        const c = await ctx(req);
        return {
          body: {
            policies: await d.service.list(c, req.query.get('namespace') ?? undefined),
            // A broken file may hold any namespace's policy: only cluster-wide viewers see them.
            errors: allowed(c.principal, 'get', '*') ? d.fileErrors() : [],
          },
        };
      },
    },
    { method: 'POST', path: '/api/v1/policies', handle: (req) => applyFrom(req) },
    {
      method: 'POST',
      path: '/api/v1/policies/diff',
      handle: async (req) => ({
        body: await d.service.diff(await ctx(req), req.json<ApplyBody>()?.document),
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/namespaces/:namespace/policies/:name',
      handle: async (req) => ({ body: await d.service.get(await ctx(req), ns(req), name(req)) }),
    },
    {
      method: 'PUT',
      path: '/api/v1/namespaces/:namespace/policies/:name',
      handle: (req) => applyFrom(req, { namespace: ns(req), name: name(req) }),
    },
    {
      method: 'DELETE',
      path: '/api/v1/namespaces/:namespace/policies/:name',
      handle: async (req) => {
        const expected = revisionParam(req.query.get('revision'), 'revision');
        const reason = reasonParam(req.query.get('reason'), 'reason');
        return {
          body: await d.service.delete(await ctx(req), ns(req), name(req), {
            ...(reason ? { reason } : {}),
            ...(expected !== undefined ? { expectedRevision: expected } : {}),
          }),
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/namespaces/:namespace/policies/:name/history',
      handle: async (req) => ({
        body: { revisions: await d.service.history(await ctx(req), ns(req), name(req)) },
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/namespaces/:namespace/policies/:name/rollback',
      handle: async (req) => {
        const body = req.json<{ toRevision?: number; to?: number; reason?: unknown }>() ?? {};
        const c = await ctx(req);
        const reason = reasonParam(body.reason, 'reason');
        const opts = reason ? { reason } : {};
        // toRevision: a KV revision; to: a per-policy number; neither: the previous revision.
        const kv = revisionParam(String(body.toRevision ?? ''), 'toRevision');
        if (kv !== undefined) return { body: await d.service.rollback(c, ns(req), name(req), kv, opts) };
        const n = revisionParam(String(body.to ?? ''), 'to');
        return { body: await d.service.rollbackToNumber(c, ns(req), name(req), n, opts) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/proxies',
      handle: async (req) => {
        authorize((await ctx(req)).principal, 'proxies');
        return { body: { proxies: d.proxies.list() } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/snapshots',
      handle: async (req) => {
        authorize((await ctx(req)).principal, 'snapshots');
        return {
          body: {
            groups: d.groups(),
            models: d.models?.() ?? [],
            ...(d.leader ? { leader: d.leader() } : {}),
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/endpoints',
      handle: async (req) => {
        authorize((await ctx(req)).principal, 'endpoints');
        return { body: { endpoints: d.endpoints() } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/placement',
      handle: async (req) => {
        authorize((await ctx(req)).principal, 'placement');
        return { body: d.placement ? await d.placement() : { leader: false, versions: [] } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/audit',
      handle: async (req) => {
        authorize((await ctx(req)).principal, 'audit-log');
        const limit = revisionParam(req.query.get('limit'), 'limit');
        const records = d.audit ? await d.audit.read(limit ? { limit } : {}) : [];
        return { body: { records: records.map((r) => r.record) } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/audit/verify',
      handle: async (req) => {
        authorize((await ctx(req)).principal, 'audit-verify');
        return { body: await d.service.verifyAudit() };
      },
    },
  ];
}
