// GET /api/v1/namespaces/:namespace/policies/:name/sync: has a policy revision reached the
// proxies? It is published when the snapshots served now were built from that revision (or a
// later one), and ACKed when every connected proxy that holds a resource of the policy's model
// has ACKed exactly the content those snapshots have for it (docs/OPERATIONS.md, "Waiting for
// the proxies"). `switchyard wait` and `apply --wait` poll it. Each replica answers for the
// proxies connected to it.
import { OptionError } from '../../kernel/errors/index.js';
import type { AdminRoute } from '../admin/router.js';
import type { Authenticator } from '../auth/authenticator.js';
import { ownedByModel } from '../translate/names.js';
import { RESOURCE_TYPES } from '../xds/resource-types.js';
import type { StreamContext } from '../xds/server/stream-context.js';
import type { NameFilter, ResourceSync } from '../xds/server/stream-sync.js';
import type { ProxyRegistry, ProxyStatus } from '../xds/status/proxy-registry.js';
import { callContext } from './http-routes.js';
import type { PolicyService } from './policy-service.js';

export type SyncState = 'publishing' | 'syncing' | 'acked' | 'failed';

export interface ProxySync {
  readonly nodeId: string;
  readonly stream: number;
  readonly group: string;
  readonly state: 'acked' | 'pending' | 'nacked';
  /** Resources of the policy this proxy holds, and how many of them it has ACKed. */
  readonly resources: number;
  readonly acked: number;
  /** Names not ACKed yet (at most a few), as `TYPE name`. */
  readonly waitingFor?: readonly string[];
  readonly nack?: { readonly type: string; readonly version: string; readonly message: string };
}

export interface PolicySync {
  readonly namespace: string;
  readonly name: string;
  readonly model: string;
  /** The revision asked about, and the live one (later when it was superseded). */
  readonly requested: number;
  readonly revision: number;
  /** The revision the snapshots served now carry; absent before any carries the policy. */
  readonly published?: number;
  readonly state: SyncState;
  /** Why it failed without a NACK: the policy is not served (a conflict, invalid resources). */
  readonly problem?: { readonly code: string; readonly message: string };
  readonly proxies: readonly ProxySync[];
}

export interface SyncDeps {
  readonly service: PolicyService;
  readonly authn: Authenticator;
  readonly proxies: ProxyRegistry;
  readonly streams: (owned: NameFilter) => Array<{ ctx: StreamContext; resources: ResourceSync[] }>;
  readonly published: (namespace: string, name: string) => number | undefined;
}

const SHOWN_NAMES = 5;

function proxySync(
  ctx: StreamContext,
  resources: readonly ResourceSync[],
  nackOf: (stream: number, type: string) => { version: string; message: string } | undefined,
): ProxySync {
  const acked = resources.filter((r) => r.state === 'acked').length;
  const nacked = resources.find((r) => r.state === 'nacked');
  const waiting = resources.filter((r) => r.state !== 'acked');
  const base = {
    nodeId: ctx.node?.id ?? '',
    stream: ctx.id,
    group: ctx.group ?? '',
    resources: resources.length,
    acked,
    ...(waiting.length
      ? {
          waitingFor: waiting.slice(0, SHOWN_NAMES).map((r) => `${RESOURCE_TYPES[r.type].short} ${r.name}`),
        }
      : {}),
  };
  if (!nacked) return { ...base, state: waiting.length ? 'pending' : 'acked' };
  const type = RESOURCE_TYPES[nacked.type].short;
  const last = nackOf(ctx.id, type);
  return {
    ...base,
    state: 'nacked',
    nack: { type, version: last?.version ?? '', message: last?.message ?? '(no error detail)' },
  };
}

export function syncOf(
  d: SyncDeps,
  view: { namespace: string; name: string; model: string; revision: number },
  requested: number,
  problem: { code: string; message: string } | undefined,
): PolicySync {
  const published = d.published(view.namespace, view.name);
  const base = {
    namespace: view.namespace,
    name: view.name,
    model: view.model,
    requested,
    revision: view.revision,
    ...(published !== undefined ? { published } : {}),
  };
  if (published === undefined || published < requested) return { ...base, state: 'publishing', proxies: [] };
  if (problem) return { ...base, state: 'failed', problem, proxies: [] };
  // The registry's list is built once per answer, and only when some proxy NACKed.
  let listed: Map<number, ProxyStatus> | undefined;
  const nackOf = (stream: number, type: string) => {
    listed ??= new Map(d.proxies.list().map((p) => [p.stream, p]));
    return listed.get(stream)?.types[type]?.lastNack;
  };
  const proxies = d
    .streams((name) => ownedByModel(name, view.model))
    .filter((s) => s.resources.length > 0)
    .map((s) => proxySync(s.ctx, s.resources, nackOf));
  const state: SyncState = proxies.some((p) => p.state === 'nacked')
    ? 'failed'
    : proxies.some((p) => p.state === 'pending')
      ? 'syncing'
      : 'acked';
  return { ...base, state, proxies };
}

export function syncRoutes(d: SyncDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/namespaces/:namespace/policies/:name/sync',
      handle: async (req) => {
        const c = await callContext(d.authn, req);
        // Authorizes (viewer in the namespace) and reads the live revision.
        const view = await d.service.get(c, req.params.namespace!, req.params.name!);
        const raw = req.query.get('revision');
        const requested = raw === null || raw === '' ? view.revision : Number(raw);
        if (!Number.isInteger(requested) || requested < 0)
          throw new OptionError(`revision: ${JSON.stringify(raw)} is not a revision number`);
        const problem = view.problem ? { code: view.problem.code, message: view.problem.message } : undefined;
        return { body: syncOf(d, view, requested, problem) };
      },
    },
  ];
}
