// The gateway's access rules one function at a time, for the combinations the goldens do not
// hold: which rules call the authorization service, the claims rule with claims but no scope
// or with neither, the claims in sorted order, and which filters a listener gets for which rules.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import type { ModelRoute } from '../policy/types.js';
import { accessHttpFilters } from './access.js';
import { CLAIMS_FILTER, claimsPerRoute, IDENTITY_FILTER, identityPerRoute } from './access-rbac.js';
import { AUTHZ_FILTER, needsAuthz } from './ext-authz.js';
import { JWT_FILTER } from './jwt-authn.js';
import { RATE_LIMIT_FILTER } from './local-ratelimit.js';
import { DEFAULT_TRANSLATE_OPTIONS } from './options.js';
import { translate } from './translator.js';

function routeWith(model: string, access: string): ModelRoute {
  const body = access
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return parsePolicyFile(
    policy(model, `versions: [{ name: v1, weight: 100 }]\naccess:\n${body}`),
    `${model}.yaml`,
  )[0]!;
}

const JWT = `jwt:
  issuer: https://issuer.example
  audiences: [a]
  jwks: { uri: https://issuer.example/jwks }`;

const accessOf = (access: string) => routeWith('m', access).spec.access!;

/** The claim names and scopes a claims rule checks, in its order (`claim=value`, `scope:x`). */
function checks(access: string): string[] | undefined {
  const rule = claimsPerRoute(accessOf(access));
  if (!rule) return undefined;
  const principals = rule.rbac!.rules!.policies.claims!.principals;
  const token = principals.at(-1)!.identifier;
  if (token.case !== 'andIds') throw new Error(String(token.case));
  return token.value.ids.map((p) => {
    const id = p.identifier;
    if (id.case === 'metadata') {
      const m = id.value.value?.matchPattern;
      const v =
        m?.case === 'stringMatch' && m.value.matchPattern.case === 'exact' ? m.value.matchPattern.value : '?';
      return `${id.value.path.at(-1)?.segment.value}=${v}`;
    }
    return `scope:${id.case}`;
  });
}

describe('needsAuthz', () => {
  it('calls the authorization service for tokens, API keys, identities and tenant limits', () => {
    expect(needsAuthz(accessOf(JWT))).toBe(true);
    expect(needsAuthz(accessOf(`apiKeys: [{ sha256: "${'a'.repeat(64)}", tenant: t }]`))).toBe(true);
    expect(needsAuthz(accessOf('identities: [spiffe://switchyard.local/ns/a/sa/b]'))).toBe(true);
    expect(needsAuthz(accessOf('rateLimit: { perTenant: { rps: 1 } }'))).toBe(true);
    expect(needsAuthz(accessOf('rateLimit: { tenants: { acme: { rps: 1 } } }'))).toBe(true);
  });

  it('leaves a model limited only as a whole to the rate limit filter', () => {
    expect(needsAuthz(accessOf('rateLimit: { model: { rps: 10 } }'))).toBe(false);
  });
});

describe('claimsPerRoute', () => {
  it('checks required claims in sorted order, then scopes', () => {
    expect(checks(`${JWT}\n  requiredClaims: { tier: gold, org: acme }\n  scopes: [predict]`)).toEqual([
      'org=acme',
      'tier=gold',
      'scope:orIds',
    ]);
  });

  it('checks claims without scopes, and has no rule for a token that needs neither', () => {
    expect(checks(`${JWT}\n  requiredClaims: { tier: gold }`)).toEqual(['tier=gold']);
    expect(checks(`${JWT}\n  scopes: [predict]`)).toEqual(['scope:orIds']);
    expect(checks(JWT)).toBeUndefined();
    expect(checks('identities: [spiffe://switchyard.local/ns/a/sa/b]')).toBeUndefined();
  });

  it('lets an accepted API key through before the token checks', () => {
    const rule = claimsPerRoute(
      accessOf(`${JWT}\n  scopes: [predict]\napiKeys: [{ sha256: "${'a'.repeat(64)}", tenant: t }]`),
    )!;
    const principals = rule.rbac!.rules!.policies.claims!.principals;
    expect(principals.map((p) => p.identifier.case)).toEqual(['metadata', 'andIds']);
  });
});

describe('identityPerRoute', () => {
  it('has no rule without identities', () => {
    expect(identityPerRoute(accessOf(JWT))).toBeUndefined();
  });
});

describe('accessHttpFilters', () => {
  const names = (routes: ModelRoute[]) =>
    accessHttpFilters(routes, DEFAULT_TRANSLATE_OPTIONS).map((f) => `${f.name}${f.disabled ? ' (off)' : ''}`);

  it('adds only the filters some model needs, in the order of the checks', () => {
    expect(names([routeWith('a', 'rateLimit: { model: { rps: 10 } }')])).toEqual([RATE_LIMIT_FILTER]);
    expect(names([routeWith('a', 'identities: [spiffe://switchyard.local/ns/a/sa/b]')])).toEqual([
      `${IDENTITY_FILTER} (off)`,
      `${AUTHZ_FILTER} (off)`,
    ]);
    expect(
      names([
        routeWith('a', `${JWT}\n  scopes: [predict]`),
        routeWith(
          'b',
          'identities: [spiffe://switchyard.local/ns/a/sa/b]\nrateLimit: { model: { rps: 10 } }',
        ),
      ]),
    ).toEqual([
      `${IDENTITY_FILTER} (off)`,
      `${JWT_FILTER} (off)`,
      `${AUTHZ_FILTER} (off)`,
      `${CLAIMS_FILTER} (off)`,
      RATE_LIMIT_FILTER,
    ]);
  });

  it('calls the authorization service when one model of several needs it', () => {
    expect(
      names([
        routeWith('a', 'rateLimit: { model: { rps: 10 } }'),
        routeWith('b', `apiKeys: [{ sha256: "${'b'.repeat(64)}", tenant: t }]`),
      ]),
    ).toEqual([`${AUTHZ_FILTER} (off)`, RATE_LIMIT_FILTER]);
  });

  it("enables on a model's routes only the filters its own rules need", () => {
    const limited = routeWith('a', 'rateLimit: { model: { rps: 10 } }');
    const keyed = routeWith('b', `apiKeys: [{ sha256: "${'b'.repeat(64)}", tenant: t }]`);
    const set = translate({ routes: [limited, keyed], endpoints: new Map() }, 'envoy');
    const perFilter = (model: string) => {
      const host = set.routes[0]!.virtualHosts.find((v) => v.name === model)!;
      return [...new Set(host.routes.flatMap((r) => Object.keys(r.typedPerFilterConfig)))];
    };
    expect(perFilter('a')).toEqual([]);
    expect(perFilter('b')).toEqual([AUTHZ_FILTER]);
  });

  it('adds none when no model limits access', () => {
    expect(accessHttpFilters([], DEFAULT_TRANSLATE_OPTIONS)).toEqual([]);
    const open = parsePolicyFile(policy('o', 'versions: [{ name: v1, weight: 100 }]'), 'o.yaml')[0]!;
    expect(accessHttpFilters([open], DEFAULT_TRANSLATE_OPTIONS)).toEqual([]);
  });
});
