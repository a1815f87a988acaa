// Role checks of one module, with the expected answers written out by hand: a role's reach is
// what docs/SECURITY.md promises, not what the operations table happens to say.
import { describe, expect, it } from 'vitest';
import { ForbiddenError, UnauthenticatedError } from '../../kernel/errors/index.js';
import { allowed, authorize, canView, OPERATIONS, type Principal, type Role } from './rbac.js';

const who = (role: Role, ...namespaces: string[]): Principal => ({
  id: `apikey:${role}`,
  kind: 'apikey',
  bindings: [{ role, namespaces }],
});

// op -> [viewer, operator, admin] for a binding in namespace "team" (asked about "team"), then for
// a binding on "*" (asked about any namespace and the cluster-wide operations).
const IN_NAMESPACE: Record<string, [boolean, boolean, boolean]> = {
  list: [true, true, true],
  get: [true, true, true],
  history: [true, true, true],
  diff: [true, true, true],
  apply: [false, true, true],
  delete: [false, true, true],
  rollback: [false, true, true],
  rollout: [false, true, true],
  'rollout-status': [true, true, true],
  'model-list': [true, true, true],
  'model-get': [true, true, true],
  'model-push': [false, true, true],
  'model-stage': [false, true, true],
  'model-artifact': [false, true, true],
  'model-approve': [false, false, true],
  'model-delete': [false, false, true],
  'promotion-policy': [false, false, true],
  proxies: [false, false, false],
  placement: [false, false, false],
  'ca-rotate': [false, false, false],
  endpoints: [false, false, false],
  snapshots: [false, false, false],
  'audit-log': [false, false, false],
  'audit-verify': [false, false, false],
};
const EVERYWHERE: Record<string, [boolean, boolean, boolean]> = {
  ...IN_NAMESPACE,
  proxies: [true, true, true],
  endpoints: [true, true, true],
  snapshots: [true, true, true],
  placement: [true, true, true],
  'ca-rotate': [false, false, true],
  'audit-log': [false, false, true],
  'audit-verify': [false, false, true],
};
const ROLE_ORDER: Role[] = ['viewer', 'operator', 'admin'];

describe('rbac', () => {
  it('lists exactly the operations the tables below expect', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(Object.keys(IN_NAMESPACE).sort());
  });

  it.each(Object.entries(IN_NAMESPACE))('%s with a role bound in the namespace: %j', (op, expected) => {
    const got = ROLE_ORDER.map((r) => allowed(who(r, 'team'), op as keyof typeof OPERATIONS, 'team'));
    expect(got).toEqual(expected);
  });

  it.each(Object.entries(EVERYWHERE))('%s with a role bound on "*": %j', (op, expected) => {
    const got = ROLE_ORDER.map((r) => allowed(who(r, '*'), op as keyof typeof OPERATIONS, 'team'));
    expect(got).toEqual(expected);
  });

  it('grants nothing in another namespace, nor without a namespace', () => {
    const admin = who('admin', 'team', 'ops');
    expect(allowed(admin, 'get', 'other')).toBe(false);
    expect(allowed(admin, 'apply', 'ops')).toBe(true);
    expect(allowed(admin, 'get')).toBe(false);
    expect(allowed({ id: 'anonymous', kind: 'anonymous', bindings: [] }, 'get', 'team')).toBe(false);
  });

  it('is granted by any one of several bindings', () => {
    const p: Principal = {
      id: 'jwt:bob',
      kind: 'jwt',
      bindings: [
        { role: 'viewer', namespaces: ['*'] },
        { role: 'operator', namespaces: ['team'] },
      ],
    };
    expect(allowed(p, 'apply', 'team')).toBe(true);
    expect(allowed(p, 'apply', 'other')).toBe(false);
    expect(allowed(p, 'get', 'other')).toBe(true);
    expect(canView(p, 'other')).toBe(true);
    expect(canView(who('viewer', 'team'), 'other')).toBe(false);
    expect(canView(who('viewer', 'team'), 'team')).toBe(true);
  });

  it('refuses a known caller with 403 naming who, what, where and the role needed', () => {
    expect(() => authorize(who('viewer', 'team'), 'apply', 'team')).toThrow(ForbiddenError);
    expect(() => authorize(who('viewer', 'team'), 'apply', 'team')).toThrow(
      'apikey:viewer may not apply in namespace "team" (needs role operator)',
    );
    expect(() => authorize(who('operator', '*'), 'audit-log', 'team')).toThrow(
      'apikey:operator may not audit-log cluster-wide (needs role admin)',
    );
    expect(() => authorize(who('operator', 'team'), 'apply', 'team')).not.toThrow();
  });

  it('refuses an anonymous caller with 401 saying credentials are missing', () => {
    const anon: Principal = { id: 'anonymous', kind: 'anonymous', bindings: [] };
    expect(() => authorize(anon, 'get', 'team')).toThrow(UnauthenticatedError);
    expect(() => authorize(anon, 'get', 'team')).toThrow(
      'no credentials: anonymous callers may not get in namespace "team" (needs role viewer); present an API key, a bearer token or a client certificate',
    );
    expect(() => authorize(anon, 'proxies')).toThrow(
      'no credentials: anonymous callers may not proxies cluster-wide (needs role viewer); present an API key, a bearer token or a client certificate',
    );
  });
});
