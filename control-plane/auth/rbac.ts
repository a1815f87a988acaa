// Who may do what, where (pure). Roles nest: admin > operator > viewer. A binding grants a role
// in listed namespaces or in all ("*"). Cluster-wide operations (proxies, endpoints, snapshots,
// the audit trail) need the role bound for "*".
import { ForbiddenError, UnauthenticatedError } from '../../kernel/errors/index.js';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface RoleBinding {
  readonly role: Role;
  /** Namespaces, or ["*"] for every namespace and the cluster-wide operations. */
  readonly namespaces: readonly string[];
}

export interface Principal {
  /** Stable id for audit and rate limits: `apikey:ci`, `jwt:alice`, `spiffe://...`. */
  readonly id: string;
  readonly kind: 'apikey' | 'jwt' | 'mtls' | 'anonymous' | 'system';
  readonly bindings: readonly RoleBinding[];
}

export const OPERATIONS = {
  list: { role: 'viewer', scope: 'namespace', mutating: false },
  get: { role: 'viewer', scope: 'namespace', mutating: false },
  history: { role: 'viewer', scope: 'namespace', mutating: false },
  diff: { role: 'viewer', scope: 'namespace', mutating: false },
  apply: { role: 'operator', scope: 'namespace', mutating: true },
  delete: { role: 'operator', scope: 'namespace', mutating: true },
  rollback: { role: 'operator', scope: 'namespace', mutating: true },
  rollout: { role: 'operator', scope: 'namespace', mutating: true },
  'rollout-status': { role: 'viewer', scope: 'namespace', mutating: false },
  proxies: { role: 'viewer', scope: 'cluster', mutating: false },
  endpoints: { role: 'viewer', scope: 'cluster', mutating: false },
  placement: { role: 'viewer', scope: 'cluster', mutating: false },
  snapshots: { role: 'viewer', scope: 'cluster', mutating: false },
  'audit-log': { role: 'admin', scope: 'cluster', mutating: false },
  'audit-verify': { role: 'admin', scope: 'cluster', mutating: false },
  'ca-rotate': { role: 'admin', scope: 'cluster', mutating: true },
  // The model registry (docs/REGISTRY.md): scoped to the namespace a version was pushed to.
  'model-list': { role: 'viewer', scope: 'namespace', mutating: false },
  'model-get': { role: 'viewer', scope: 'namespace', mutating: false },
  'model-push': { role: 'operator', scope: 'namespace', mutating: true },
  'model-stage': { role: 'operator', scope: 'namespace', mutating: true },
  'model-artifact': { role: 'operator', scope: 'namespace', mutating: false },
  'model-approve': { role: 'admin', scope: 'namespace', mutating: true },
  'model-delete': { role: 'admin', scope: 'namespace', mutating: true },
  'promotion-policy': { role: 'admin', scope: 'namespace', mutating: true },
} as const satisfies Record<string, { role: Role; scope: 'namespace' | 'cluster'; mutating: boolean }>;

export type Operation = keyof typeof OPERATIONS;

function grants(b: RoleBinding, role: Role, namespace: string | undefined): boolean {
  if (RANK[b.role] < RANK[role]) return false;
  if (b.namespaces.includes('*')) return true;
  return namespace !== undefined && b.namespaces.includes(namespace);
}

export function allowed(p: Principal, op: Operation, namespace?: string): boolean {
  const o = OPERATIONS[op];
  const ns = o.scope === 'cluster' ? undefined : namespace;
  return p.bindings.some((b) => grants(b, o.role, ns));
}

/**
 * Throws naming the principal, operation and namespace: UnauthenticatedError (401) when the
 * caller presented no credentials, since credentials are what it lacks; ForbiddenError (403)
 * when a known caller lacks the role.
 */
export function authorize(p: Principal, op: Operation, namespace?: string): void {
  if (allowed(p, op, namespace)) return;
  const o = OPERATIONS[op];
  const where = o.scope === 'cluster' ? 'cluster-wide' : `in namespace ${JSON.stringify(namespace)}`;
  if (p.kind === 'anonymous')
    throw new UnauthenticatedError(
      `no credentials: anonymous callers may not ${op} ${where} (needs role ${o.role}); present an API key, a bearer token or a client certificate`,
    );
  throw new ForbiddenError(`${p.id} may not ${op} ${where} (needs role ${o.role})`);
}

/** For list: may this principal see policies of this namespace? */
export function canView(p: Principal, namespace: string): boolean {
  return allowed(p, 'get', namespace);
}
