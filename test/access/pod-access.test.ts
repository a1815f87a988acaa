// A real pod enforcing spec.access (docs/ACCESS.md, "At the pods") for real clients: grpc-js over
// gRPC and node:http(s) over REST, with tokens signed by a test key (jose), API keys, and mTLS
// identities from a test CA. Every case runs over both transports and must be decided alike:
// 401/UNAUTHENTICATED, 403/PERMISSION_DENIED, 429/RESOURCE_EXHAUSTED with retry-after.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMaterial } from '../../control-plane/pki/index.js';
import type { Pod } from '../../data-plane/pod.js';
import type { AccessRules } from '../../kernel/contract/index.js';
import type { TlsMaterial } from '../../kernel/tls/index.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';
import { id, type SecurityCa, securityCa } from '../security/helpers.js';
import {
  AUDIENCE,
  algNoneToken,
  type CallOptions,
  GrpcCaller,
  ISSUER,
  type Issuer,
  type Outcome,
  restInfer,
  serveJwks,
  testIssuer,
} from './helpers.js';

const POD = id('models', 'affine');
const WEB = id('apps', 'web');
const INTRUDER = id('apps', 'intruder');
const sha = (k: string) => createHash('sha256').update(k).digest('hex');
const KEY = 'sy_affine-key-for-acme';
const OTHER_MODEL_KEY = 'sy_key-of-another-model';

let sca: SecurityCa;
let issuer: Issuer;
let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
let tlsDir: string;
let pod: Pod;
let grpcCaller: GrpcCaller;
let web: TlsMaterial;
let intruder: TlsMaterial;

function jwtRule(extra: Partial<NonNullable<AccessRules['jwt']>> = {}): NonNullable<AccessRules['jwt']> {
  return {
    issuer: ISSUER,
    audiences: [AUDIENCE],
    jwks: { inline: { keys: issuer.jwks.keys } },
    algorithms: ['ES256', 'RS256'],
    requiredClaims: {},
    scopes: ['predict'],
    tenantClaim: 'sub',
    clockSkew: '5s',
    ...extra,
  };
}

function setRules(affine: AccessRules, version: string): void {
  pod.access!.setRules({
    version,
    models: { affine, other: { apiKeys: [{ sha256: sha(OTHER_MODEL_KEY), tenant: 'globex' }] } },
  });
}

/** The same call over gRPC and REST; both outcomes are returned for comparison. */
async function both(o: CallOptions): Promise<{ grpc: Outcome; rest: Outcome }> {
  const withServer = o.tls ? { ...o, tls: { ...o.tls, server: POD } } : o;
  return { grpc: await grpcCaller.infer(withServer), rest: await restInfer(pod.ports.http, withServer) };
}

async function statusOf(o: CallOptions): Promise<number> {
  const r = await both(o);
  expect(r.grpc.status, `gRPC and REST decide alike (${r.grpc.message} / ${r.rest.message})`).toBe(
    r.rest.status,
  );
  return r.rest.status;
}

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

beforeAll(async () => {
  sca = await securityCa();
  issuer = await testIssuer();
  repo = await modelRepoCopy(['affine']);
  tlsDir = await mkdtemp(join(tmpdir(), 'sy-access-pod-'));
  await writeMaterial(tlsDir, await sca.material(POD));
  web = await sca.material(WEB);
  intruder = await sca.material(INTRUDER);
  pod = await startTestPod(repo.dir, {
    tls: { dir: tlsDir, mode: 'PERMISSIVE' },
    access: { from: 'rules', rules: { version: 'none', models: {} } },
  });
  grpcCaller = new GrpcCaller(pod.ports.grpc);
});

afterAll(async () => {
  grpcCaller?.close();
  await pod?.close();
  await repo?.cleanup();
  if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
});

describe('bearer JWTs and API keys at a pod', () => {
  beforeAll(() =>
    setRules({ jwt: jwtRule(), apiKeys: [{ sha256: sha(KEY), tenant: 'acme', name: 'acme-prod' }] }, 'creds'),
  );

  it('admits each credential kind over gRPC and REST', async () => {
    expect(await statusOf(bearer(await issuer.sign({ sub: 'alice', scope: 'predict' })))).toBe(200);
    expect(await statusOf({ headers: { 'x-api-key': KEY } })).toBe(200);
  });

  it('refuses missing and bad credentials with 401 / UNAUTHENTICATED', async () => {
    const claims = { sub: 'alice', scope: 'predict' };
    const cases: Array<[string, CallOptions]> = [
      ['no credential', {}],
      ['bad signature', bearer(await issuer.sign(claims, { key: 'rogue' }))],
      ['expired', bearer(await issuer.sign(claims, { exp: Math.floor(Date.now() / 1000) - 60 }))],
      ['another audience', bearer(await issuer.sign(claims, { aud: 'someone-else' }))],
      ['alg none', bearer(algNoneToken(claims))],
      ['HS256', bearer(await issuer.hs256(claims))],
      ['garbage', bearer('not.a.jwt')],
      ['Basic auth', { headers: { authorization: 'Basic YWxpY2U6cHc=' } }],
      ['unknown API key', { headers: { 'x-api-key': 'sy_nobody-has-this' } }],
    ];
    for (const [what, o] of cases) {
      const r = await both(o);
      expect({ what, grpc: r.grpc.status, rest: r.rest.status }).toEqual({ what, grpc: 401, rest: 401 });
      expect(r.rest.wwwAuthenticate, what).toMatch(/^Bearer realm="switchyard"/);
    }
  });

  it('guards model metadata too, and leaves the probes open', async () => {
    const base = `http://127.0.0.1:${pod.ports.http}`;
    expect((await fetch(`${base}/v2/models/affine`)).status).toBe(401);
    const ok = await fetch(`${base}/v2/models/affine`, { headers: { 'x-api-key': KEY } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${base}/v2/models/affine/ready`)).status).toBe(200);
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
  });

  it('refuses a valid caller without access with 403 / PERMISSION_DENIED', async () => {
    const noScope = bearer(await issuer.sign({ sub: 'alice', scope: 'read' }));
    expect(await statusOf(noScope)).toBe(403);
    expect((await restInfer(pod.ports.http, noScope)).wwwAuthenticate).toMatch(/insufficient_scope/);
    expect(await statusOf({ headers: { 'x-api-key': OTHER_MODEL_KEY } })).toBe(403);
  });

  it('takes keys from a JWKS URL (createRemoteJWKSet), fetched once for many calls', async () => {
    const jwks = await serveJwks(issuer.jwks);
    try {
      setRules({ jwt: jwtRule({ jwks: { uri: jwks.url } }) }, 'remote');
      const token = bearer(await issuer.sign({ sub: 'bob', scope: 'predict' }));
      for (let i = 0; i < 3; i++) expect(await statusOf(token)).toBe(200);
      expect(
        await statusOf(bearer(await issuer.sign({ sub: 'bob', scope: 'predict' }, { key: 'rogue' }))),
      ).toBe(401);
      expect(jwks.fetches()).toBeGreaterThanOrEqual(1);
      expect(jwks.fetches()).toBeLessThanOrEqual(2);
    } finally {
      await jwks.close();
      setRules({ jwt: jwtRule(), apiKeys: [{ sha256: sha(KEY), tenant: 'acme' }] }, 'creds');
    }
  });
});

describe('workload identities at a pod', () => {
  beforeAll(() => setRules({ identities: [WEB, 'spiffe://example.org/ns/batch/*'] }, 'ids'));

  it('admits an allowed mTLS peer, refuses no certificate (401) and another identity (403)', async () => {
    expect(await statusOf({ tls: { material: web, server: POD } })).toBe(200);
    expect(await statusOf({})).toBe(401);
    expect(await statusOf({ tls: { material: intruder, server: POD } })).toBe(403);
  });

  it('refuses another identity even with a valid credential', async () => {
    setRules({ identities: [WEB], jwt: jwtRule() }, 'ids+jwt');
    const token = await issuer.sign({ sub: 'alice', scope: 'predict' });
    expect(await statusOf({ ...bearer(token), tls: { material: intruder, server: POD } })).toBe(403);
    expect(await statusOf({ ...bearer(token), tls: { material: web, server: POD } })).toBe(200);
    expect(await statusOf({ tls: { material: web, server: POD } })).toBe(401);
  });
});

describe('rate limits at a pod', () => {
  it('gives one tenant over its limit 429 with retry-after while another tenant goes on', async () => {
    // 1 token per 50 s after a burst of 2: a slow machine cannot refill one between calls.
    setRules(
      {
        jwt: jwtRule(),
        rateLimit: { perTenant: { rps: 0.02, burst: 2 }, tenants: { bulk: { rps: 100, burst: 100 } } },
      },
      'rates',
    );
    const acme = bearer(await issuer.sign({ sub: 'acme', scope: 'predict' }));
    const globex = bearer(await issuer.sign({ sub: 'globex', scope: 'predict' }));
    const bulk = bearer(await issuer.sign({ sub: 'bulk', scope: 'predict' }));
    // Two calls each (one gRPC, one REST) use acme's burst; the next pair is refused on both.
    expect(await statusOf(acme)).toBe(200);
    const over = await both(acme);
    expect([over.grpc.status, over.rest.status]).toEqual([429, 429]);
    for (const r of [over.grpc, over.rest]) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(r.retryAfter)).toBeLessThanOrEqual(50);
    }
    expect(await statusOf(globex)).toBe(200);
    for (let i = 0; i < 5; i++) expect(await statusOf(bulk)).toBe(200);
    const text = await pod.metrics.registry.metrics();
    expect(text).toMatch(/switchyard_pod_access_refusals_total\{model="affine",reason="rate_tenant"\} 2/);
    expect(text).toMatch(
      /switchyard_pod_access_refusals_total\{model="affine",reason="token_signature"\} \d+/,
    );
    expect(text).toMatch(/switchyard_pod_access_allowed_total\{model="affine"\} \d+/);
    expect(text).not.toMatch(/acme|globex|tenant=/);
  });
});
