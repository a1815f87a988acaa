// Authentication and authorization of the admin API against a real control plane with a NATS
// JetStream store: the RBAC matrix, JWT negatives, public endpoints and rate limits.
import { createHmac } from 'node:crypto';
import { exportSPKI, generateKeyPair, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, type Operation } from '../../control-plane/auth/rbac.js';
import { encodePushMeta, PUSH_META_HEADER } from '../../control-plane/registry/upload.js';
import { modelFile } from '../registry/helpers.js';
import { type ApiFixture, AUDIENCE, apiKey, ISSUER, type KeyName, routeDoc, startApi } from './fixture.js';

/** Pushes the affine model as `name:1` into `ns` over HTTP; returns the status. */
async function push(name: string, ns: string, key: string): Promise<number> {
  const res = await fetch(`${fx.url}/api/v1/models/${name}/versions/1`, {
    method: 'PUT',
    body: modelFile('affine'),
    headers: { ...apiKey(key), [PUSH_META_HEADER]: encodePushMeta({ namespace: ns }) },
  });
  await res.arrayBuffer();
  return res.status;
}

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApi();
  // Something to read, history and roll back in both namespaces.
  for (const ns of ['default', 'other']) {
    const a = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('seed', ns, 90) },
      apiKey(fx.keys['admin-all']),
    );
    expect(a.status).toBe(201);
    await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('seed', ns, 80) },
      apiKey(fx.keys['admin-all']),
    );
    // A registry version per namespace to read, stage, approve and fetch.
    expect(await push(`seed-${ns}`, ns, fx.keys['admin-all'])).toBe(201);
  }
}, 120_000);
afterAll(async () => {
  await fx?.close();
});

/** One HTTP request per operation, in a namespace; returns the status. */
async function attempt(op: Operation, ns: string, key: string, i: number): Promise<number> {
  const h = apiKey(key);
  const base = `/api/v1/namespaces/${ns}/policies`;
  switch (op) {
    case 'list':
      return (await fx.call('GET', `/api/v1/policies?namespace=${ns}`, undefined, h)).status;
    case 'get':
      return (await fx.call('GET', `${base}/seed`, undefined, h)).status;
    case 'history':
      return (await fx.call('GET', `${base}/seed/history`, undefined, h)).status;
    case 'diff':
      return (await fx.call('POST', '/api/v1/policies/diff', { document: routeDoc('seed', ns, 70) }, h))
        .status;
    case 'apply':
      return (await fx.call('POST', '/api/v1/policies', { document: routeDoc(`p${i}`, ns, 60) }, h)).status;
    case 'delete': {
      await fx.call(
        'POST',
        '/api/v1/policies',
        { document: routeDoc(`d${i}`, ns) },
        apiKey(fx.keys['admin-all']),
      );
      return (await fx.call('DELETE', `${base}/d${i}`, undefined, h)).status;
    }
    case 'rollback': {
      const hist = (await fx.call('GET', `${base}/seed/history`, undefined, apiKey(fx.keys['admin-all'])))
        .json;
      const first = hist.revisions[0].revision;
      return (await fx.call('POST', `${base}/seed/rollback`, { toRevision: first }, h)).status;
    }
    case 'rollout': {
      const doc = routeDoc(`r${i}`, ns, 100);
      const rollout = {
        candidate: 'v2',
        steps: [{ weight: 10, for: '1m' }],
        analysis: { errorRate: { max: '1%' } },
      };
      await fx.call(
        'POST',
        '/api/v1/policies',
        { document: { ...doc, spec: { ...doc.spec, rollout } } },
        apiKey(fx.keys['admin-all']),
      );
      return (await fx.call('POST', `/api/v1/namespaces/${ns}/rollouts/r${i}`, { candidate: 'v2' }, h))
        .status;
    }
    case 'rollout-status':
      return (await fx.call('GET', `/api/v1/rollouts?namespace=${ns}`, undefined, h)).status;
    case 'proxies':
      return (await fx.call('GET', '/api/v1/proxies', undefined, h)).status;
    case 'endpoints':
      return (await fx.call('GET', '/api/v1/endpoints', undefined, h)).status;
    case 'snapshots':
      return (await fx.call('GET', '/api/v1/snapshots', undefined, h)).status;
    case 'placement':
      return (await fx.call('GET', '/api/v1/placement', undefined, h)).status;
    case 'audit-log':
      return (await fx.call('GET', '/api/v1/audit', undefined, h)).status;
    case 'audit-verify':
      return (await fx.call('POST', '/api/v1/audit/verify', undefined, h)).status;
    case 'ca-rotate':
      return (await fx.call('POST', '/api/v1/ca/rotation', { step: 'prepare' }, h)).status;
    case 'model-list':
      return (await fx.call('GET', `/api/v1/models?namespace=${ns}`, undefined, h)).status;
    case 'model-get':
      return (await fx.call('GET', `/api/v1/models/seed-${ns}/versions/1`, undefined, h)).status;
    case 'model-push':
      return push(`p${i}`, ns, key);
    case 'model-stage':
      return (await fx.call('POST', `/api/v1/models/seed-${ns}/versions/1/stage`, { stage: 'staging' }, h))
        .status;
    case 'model-artifact': {
      const res = await fetch(`${fx.url}/api/v1/models/seed-${ns}/versions/1/artifact`, { headers: h });
      await res.arrayBuffer();
      return res.status;
    }
    case 'model-approve':
      return (
        await fx.call('POST', `/api/v1/models/seed-${ns}/versions/1/approve`, { stage: 'production' }, h)
      ).status;
    case 'model-delete':
      expect(await push(`d${i}`, ns, fx.keys['admin-all'])).toBe(201);
      return (await fx.call('DELETE', `/api/v1/models/d${i}/versions/1`, undefined, h)).status;
    case 'promotion-policy':
      return (
        await fx.call('PUT', `/api/v1/promotion-policies/${ns}`, { stages: { production: ['approval'] } }, h)
      ).status;
  }
}

// What each key may do in its own namespace, written out from docs/SECURITY.md rather than
// derived from the implementation's table: y allowed, - refused. Cluster-wide operations need a
// "*" binding, which none of these keys has; in another namespace everything is refused.
//                 viewer  operator  admin
const MATRIX: Record<Operation, readonly [string, string, string]> = {
  list: ['y', 'y', 'y'],
  get: ['y', 'y', 'y'],
  history: ['y', 'y', 'y'],
  diff: ['y', 'y', 'y'],
  apply: ['-', 'y', 'y'],
  delete: ['-', 'y', 'y'],
  rollback: ['-', 'y', 'y'],
  rollout: ['-', 'y', 'y'],
  'rollout-status': ['y', 'y', 'y'],
  proxies: ['-', '-', '-'],
  endpoints: ['-', '-', '-'],
  placement: ['-', '-', '-'],
  snapshots: ['-', '-', '-'],
  'audit-log': ['-', '-', '-'],
  'audit-verify': ['-', '-', '-'],
  'ca-rotate': ['-', '-', '-'],
  // The model registry (docs/REGISTRY.md, "Access").
  'model-list': ['y', 'y', 'y'],
  'model-get': ['y', 'y', 'y'],
  'model-push': ['-', 'y', 'y'],
  'model-stage': ['-', 'y', 'y'],
  'model-artifact': ['-', 'y', 'y'],
  'model-approve': ['-', '-', 'y'],
  'model-delete': ['-', '-', 'y'],
  'promotion-policy': ['-', '-', 'y'],
};

describe('RBAC matrix', () => {
  it('covers every operation the server knows', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  const roles: Array<[KeyName, string, 0 | 1 | 2]> = [
    ['viewer-default', 'viewer', 0],
    ['operator-default', 'operator', 1],
    ['admin-default', 'admin', 2],
  ];
  let i = 0;
  for (const [key, role, column] of roles)
    for (const op of Object.keys(MATRIX) as Operation[])
      for (const ns of ['default', 'other'])
        it(`${role} ${op} in ${ns === 'default' ? 'its own' : 'another'} namespace`, async () => {
          const expected = ns === 'default' && MATRIX[op][column] === 'y';
          const status = await attempt(op, ns, fx.keys[key], i++);
          if (expected) expect(status, `${op} should be allowed`).toBeLessThan(300);
          else expect(status, `${op} should be forbidden`).toBe(403);
        });

  it('a "*" viewer reads cluster-wide state but changes nothing', async () => {
    const k = fx.keys['viewer-all'];
    expect(await attempt('proxies', 'default', k, 900)).toBe(200);
    expect(await attempt('snapshots', 'default', k, 901)).toBe(200);
    expect(await attempt('list', 'other', k, 902)).toBe(200);
    expect(await attempt('apply', 'other', k, 903)).toBe(403);
    expect(await attempt('audit-log', 'default', k, 904)).toBe(403);
    expect(await attempt('endpoints', 'default', k, 905)).toBe(200);
  });

  it('a "*" admin reads and verifies the audit trail', async () => {
    const k = fx.keys['admin-all'];
    expect(await attempt('audit-log', 'default', k, 906)).toBe(200);
    expect(await attempt('audit-verify', 'default', k, 907)).toBe(200);
  });

  it('lists only the namespaces a caller may view', async () => {
    const r = await fx.call('GET', '/api/v1/policies', undefined, apiKey(fx.keys['viewer-default']));
    expect(r.status).toBe(200);
    const namespaces = new Set((r.json.policies as Array<{ namespace: string }>).map((p) => p.namespace));
    expect([...namespaces]).toEqual(['default']);
  });

  it('refuses unknown API keys and callers without credentials', async () => {
    const bad = await fx.call('GET', '/api/v1/policies', undefined, apiKey('sy_not-a-key'));
    expect(bad.status).toBe(401);
    expect(bad.json.code).toBe('SY_UNAUTHENTICATED');
    // No credentials at all: credentials are what is missing (401), not a role (403).
    const none = await fx.call('GET', '/api/v1/namespaces/default/policies/seed');
    expect(none.status).toBe(401);
    expect(none.json.code).toBe('SY_UNAUTHENTICATED');
    expect(none.json.message).toMatch(/anonymous callers may not get/);
  });
});

describe('bearer JWTs', () => {
  const get = (token: string) =>
    fx.call('GET', '/api/v1/namespaces/default/policies/seed', undefined, {
      authorization: `Bearer ${token}`,
    });

  it('accepts a valid token and takes roles from its claim', async () => {
    const ok = await get(await fx.jwt({ sub: 'alice', switchyard_roles: ['viewer:default'] }));
    expect(ok.status).toBe(200);
    const noRole = await get(await fx.jwt({ sub: 'bob', switchyard_roles: ['viewer:other'] }));
    expect(noRole.status).toBe(403);
    expect(noRole.json.message).toMatch(/jwt:bob may not get/);
  });

  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = () => ({
    sub: 'mallory',
    iss: ISSUER,
    aud: AUDIENCE,
    exp: Math.floor(Date.now() / 1000) + 300,
    switchyard_roles: ['admin:*'],
  });

  it('refuses alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    const r = await get(token);
    expect(r.status).toBe(401);
  });

  it('refuses HS256 signed with the public key', async () => {
    const pem = await exportSPKI(
      (await importJWK(fx.publicJwk, 'RS256')) as Parameters<typeof exportSPKI>[0],
    );
    const header = b64({ alg: 'HS256', typ: 'JWT', kid: 'test-key-1' });
    const body = b64(claims());
    const sig = createHmac('sha256', pem).update(`${header}.${body}`).digest('base64url');
    const r = await get(`${header}.${body}.${sig}`);
    expect(r.status).toBe(401);
  });

  it('refuses a wrong issuer, a wrong audience, an expired token and an unknown kid', async () => {
    const roles = { sub: 'mallory', switchyard_roles: ['admin:*'] };
    const wrongIss = await get(await fx.jwt(roles, { issuer: 'https://evil.example/' }));
    expect(wrongIss.status).toBe(401);
    expect(wrongIss.json.message).toMatch(/iss/);
    const wrongAud = await get(await fx.jwt(roles, { audience: 'someone-else' }));
    expect(wrongAud.status).toBe(401);
    expect(wrongAud.json.message).toMatch(/aud/);
    const expired = await get(await fx.jwt(roles, { expiresIn: Math.floor(Date.now() / 1000) - 60 }));
    expect(expired.status).toBe(401);
    expect(expired.json.message).toMatch(/ERR_JWT_EXPIRED/);
    const other = await generateKeyPair('RS256');
    const unknownKid = await new SignJWT(roles)
      .setProtectedHeader({ alg: 'RS256', kid: 'not-in-jwks' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(other.privateKey);
    const r = await get(unknownKid);
    expect(r.status).toBe(401);
    expect(r.json.message).toMatch(/ERR_JWKS_NO_MATCHING_KEY/);
  });
});

describe('exposure and limits', () => {
  it('serves /healthz publicly and /metrics only to a viewer of "*", as configured', async () => {
    expect((await fx.call('GET', '/healthz')).status).toBe(200);
    expect((await fx.call('GET', '/metrics')).status).toBe(401);
    expect((await fx.call('GET', '/metrics', undefined, apiKey(fx.keys['viewer-all']))).status).toBe(200);
  });

  it('rate-limits mutating calls per caller with Retry-After', async () => {
    const limited = await startApi({ rateLimit: { perSecond: 1, burst: 3 } });
    try {
      const h = apiKey(limited.keys['operator-default']);
      const statuses: number[] = [];
      for (let j = 0; j < 5; j++)
        statuses.push(
          (await limited.call('POST', '/api/v1/policies', { document: routeDoc('rl', 'default', 50 + j) }, h))
            .status,
        );
      expect(statuses.slice(0, 3).every((s) => s < 300)).toBe(true);
      const last = await limited.call(
        'POST',
        '/api/v1/policies',
        { document: routeDoc('rl', 'default', 10) },
        h,
      );
      expect(last.status).toBe(429);
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Reads are not limited, and other callers have their own bucket.
      expect((await limited.call('GET', '/api/v1/policies', undefined, h)).status).toBe(200);
      const other = await limited.call(
        'POST',
        '/api/v1/policies',
        { document: routeDoc('rl2') },
        apiKey(limited.keys['admin-all']),
      );
      expect(other.status).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
