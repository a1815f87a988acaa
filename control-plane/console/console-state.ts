// What the web console shows, gathered once per tick from the same sources the admin API reads,
// then cut per caller by the API's own role rules (docs/CONSOLE.md, "What each role sees"): a
// topic the caller could not GET from /api/v1 is not in its stream at all.
import type { ModelService } from '../api/model-service.js';
import type { CallContext, PolicyService } from '../api/policy-service.js';
import type { PolicyView } from '../api/policy-views.js';
import type { PolicySync } from '../api/sync-routes.js';
import type { AuditRecord } from '../audit/audit-chain.js';
import { allowed, canView, type Principal } from '../auth/rbac.js';
import type { EndpointView } from '../pipeline/endpoint-view.js';
import type { ModelProblem } from '../pipeline/snapshot-publisher.js';
import type { RolloutService } from '../rollout/rollout-service.js';
import type { RolloutView } from '../rollout/rollout-view.js';
import type { PolicyRevision } from '../store/policy-record.js';
import type { ProxyRegistry, ProxyStatus } from '../xds/status/proxy-registry.js';
import type { WireAuditRecord, WirePolicySync, WireRevision, WireSession, WireState } from './wire.js';

export interface ConsoleSources {
  readonly service: PolicyService;
  readonly proxies: ProxyRegistry;
  readonly endpoints: () => readonly EndpointView[];
  readonly problems: () => readonly ModelProblem[];
  readonly rollouts?: RolloutService;
  readonly models?: ModelService;
  readonly placement?: () => Promise<unknown>;
}

/** One topic per view; each event replaces its topic in the browser. */
export interface ConsoleState {
  readonly policies: readonly PolicyView[];
  readonly endpoints: readonly EndpointView[];
  readonly proxies: readonly ProxyStatus[];
  readonly problems: readonly ModelProblem[];
  readonly rollouts: readonly RolloutView[];
  readonly registry: {
    readonly versions: Awaited<ReturnType<ModelService['list']>>;
    readonly placement?: unknown;
  };
}

export type Topic = keyof ConsoleState;
export const TOPICS: readonly Topic[] = [
  'policies',
  'endpoints',
  'proxies',
  'problems',
  'rollouts',
  'registry',
];

/** The console's own reader: sees everything once, so each tick reads every source once. */
const READER: CallContext = {
  principal: { id: 'system:console', kind: 'system', bindings: [{ role: 'viewer', namespaces: ['*'] }] },
  from: 'console',
  via: 'http',
};

export async function gatherState(s: ConsoleSources): Promise<ConsoleState> {
  const [policies, rollouts, versions, placement] = await Promise.all([
    s.service.list(READER),
    s.rollouts ? s.rollouts.list(READER) : Promise.resolve([]),
    s.models ? s.models.list(READER) : Promise.resolve([]),
    s.placement ? s.placement() : Promise.resolve(undefined),
  ]);
  return {
    policies,
    endpoints: s.endpoints(),
    proxies: s.proxies.list(),
    problems: s.problems(),
    rollouts,
    registry: { versions, ...(placement !== undefined ? { placement } : {}) },
  };
}

/** Sees every namespace and the cluster-wide views: gets the shared state as is. */
export function seesAll(p: Principal): boolean {
  return allowed(p, 'get', '*') && allowed(p, 'endpoints') && allowed(p, 'proxies');
}

/** The state cut to what `p` may read through the API, topic by topic. */
export function visibleState(state: ConsoleState, p: Principal): ConsoleState {
  if (seesAll(p)) return state;
  const placement = allowed(p, 'placement') ? state.registry.placement : undefined;
  return {
    policies: state.policies.filter((v) => canView(p, v.namespace)),
    endpoints: allowed(p, 'endpoints') ? state.endpoints : [],
    proxies: allowed(p, 'proxies') ? state.proxies : [],
    problems: allowed(p, 'snapshots') ? state.problems : [],
    rollouts: state.rollouts.filter((r) => canView(p, r.route.split('/')[0] ?? '')),
    registry: {
      versions: state.registry.versions.filter((v) => canView(p, v.namespace)),
      ...(placement !== undefined ? { placement } : {}),
    },
  };
}

/** Per model, each version's share of its traffic in percent, as the policy routes it. */
export function splitOf(policies: readonly PolicyView[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const p of policies) {
    // Not served as written (a conflict, failing checks): this document's split is not live.
    if (p.problem) continue;
    const total = p.versions.reduce((a, v) => a + v.weight, 0);
    out[p.model] = Object.fromEntries(
      p.versions.map((v) => [v.name, total > 0 ? Math.round((v.weight * 1000) / total) / 10 : 0]),
    );
  }
  return out;
}

/** The state as the browser reads it: the compiler checks the server's types against wire.ts. */
export function toWire(s: ConsoleState): WireState {
  return s;
}

// What the console reads from the API besides the stream must match wire.ts too.
export type RevisionContract = PolicyRevision extends WireRevision ? true : never;
export type AuditContract = AuditRecord extends WireAuditRecord ? true : never;
export type SyncContract = PolicySync extends WirePolicySync ? true : never;
export const CONTRACTS: [RevisionContract, AuditContract, SyncContract] = [true, true, true];

/** Who the browser is talking as, and where it may act (the server checks again on every action). */
export function sessionOf(p: Principal): WireSession {
  return { principal: p.id, bindings: p.bindings, audit: allowed(p, 'audit-log') };
}
