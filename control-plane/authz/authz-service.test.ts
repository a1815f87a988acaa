// The authorization service over real gRPC (grpc-js server on a free port, a grpc-js client of
// envoy.service.auth.v3.Authorization), with the requests Envoy's ext_authz filter sends: the
// route's model in the context extensions, x-api-key, the peer's principal and jwt_authn's
// verified token in the metadata context. Each refusal's HTTP status and gRPC code is the one
// docs/ACCESS.md gives; a changed policy is decided on without a restart; and with the service
// down the call fails, which the gateway's filter (failure_mode_allow false) turns into a refusal.
import { createHash } from 'node:crypto';
import { create, type JsonObject } from '@bufbuild/protobuf';
import { credentials, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConstructor } from '../../kernel/grpc/service-definition.js';
import {
  Authorization,
  type CheckRequest,
  CheckRequestSchema,
  type CheckResponse,
} from '../../protos/gen/envoy/service/auth/v3/external_auth_pb.js';
import { parsePolicyFile } from '../policy/index.js';
import type { ModelRoute } from '../policy/types.js';
import { authorizationService } from './authz-service.js';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');

function policy(model: string, access: string): string {
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model} }
spec:
  model: ${model}
  versions: [{ name: v1 }]
  access:
${access}
---
`;
}

const FRAUD = policy(
  'fraud',
  `    apiKeys: [{ sha256: ${sha('fraud-key')}, tenant: acme }]
    jwt:
      issuer: https://issuer.example
      audiences: [fraud-api]
      jwks: { inline: { keys: [{ kty: EC, crv: P-256, x: f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU, y: x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0 }] } }
      tenantClaim: org`,
);
const RESNET = policy('resnet', `    apiKeys: [{ sha256: ${sha('resnet-key')}, tenant: globex }]`);
const RANKER = policy(
  'ranker',
  `    identities: [spiffe://switchyard.local/ns/apps/*]
    rateLimit: { perTenant: { rps: 5 } }`,
);

let routes: readonly ModelRoute[] = parsePolicyFile(FRAUD + RESNET + RANKER, 'p.yaml');
const refusals: string[] = [];
const AuthzClient = clientConstructor(Authorization);
interface CheckClient {
  check(req: CheckRequest, cb: (err: Error | null, res?: CheckResponse) => void): void;
}

interface Call {
  model?: string;
  apiKey?: string;
  principal?: string;
  payload?: JsonObject;
  alg?: string;
}

function request(c: Call): CheckRequest {
  const md: JsonObject = {};
  if (c.payload) md.jwt_payload = c.payload;
  if (c.alg) md.jwt_header = { alg: c.alg };
  return create(CheckRequestSchema, {
    attributes: {
      source: { principal: c.principal ?? '' },
      contextExtensions: c.model ? { model: c.model } : {},
      request: { http: { headers: c.apiKey ? { 'x-api-key': c.apiKey } : {} } },
      metadataContext: { filterMetadata: c.payload ? { 'envoy.filters.http.jwt_authn': md } : {} },
    },
  });
}

describe('the authorization service over gRPC', () => {
  let server: Server;
  let client: InstanceType<typeof AuthzClient>;
  let port = 0;

  const check = (c: Call): Promise<CheckResponse> =>
    new Promise((resolve, reject) =>
      (client as unknown as CheckClient).check(request(c), (err, res) => (err ? reject(err) : resolve(res!))),
    );

  function denied(res: CheckResponse): { http: number; grpc: number; body: string } {
    expect(res.httpResponse.case).toBe('deniedResponse');
    const d = res.httpResponse.value as { status?: { code: number }; body: string };
    return { http: d.status!.code, grpc: res.status!.code, body: d.body };
  }

  function allowed(res: CheckResponse): { tenant: string; credential: unknown } {
    expect(res.status!.code).toBe(0);
    expect(res.httpResponse.case).toBe('okResponse');
    const ok = res.httpResponse.value as { headers: { header?: { key: string; value: string } }[] };
    const tenant = ok.headers.find((h) => h.header?.key === 'x-switchyard-tenant')!.header!.value;
    return { tenant, credential: res.dynamicMetadata?.credential };
  }

  beforeAll(async () => {
    server = new Server();
    const svc = authorizationService({
      routes: () => [...routes],
      onRefusal: (model, reason) => refusals.push(`${model}:${reason}`),
    });
    server.addService(svc.definition, svc.implementation);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    client = new AuthzClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  it('accepts the model own API key and names its tenant (the client cannot pick one)', async () => {
    expect(allowed(await check({ model: 'fraud', apiKey: 'fraud-key' }))).toEqual({
      tenant: 'acme',
      credential: 'api-key',
    });
    expect(allowed(await check({ model: 'resnet', apiKey: 'resnet-key' })).tenant).toBe('globex');
  });

  it('refuses an unknown key with 401 / UNAUTHENTICATED and another model key with 403 / PERMISSION_DENIED', async () => {
    const bad = denied(await check({ model: 'fraud', apiKey: 'guess' }));
    expect(bad).toMatchObject({ http: 401, grpc: status.UNAUTHENTICATED });
    expect(bad.body).toContain('api-key-unknown');
    const other = denied(await check({ model: 'fraud', apiKey: 'resnet-key' }));
    expect(other).toMatchObject({ http: 403, grpc: status.PERMISSION_DENIED });
    expect(other.body).toContain('api-key-other-model');
    // The refusal is reported by model and reason, never with the key.
    expect(refusals).toContain('fraud:api-key-other-model');
    expect(refusals.join()).not.toContain('resnet-key');
  });

  it('refuses a request with no credential with 401', async () => {
    expect(denied(await check({ model: 'fraud' }))).toMatchObject({
      http: 401,
      grpc: status.UNAUTHENTICATED,
    });
  });

  it('accepts a verified token for a listed audience and takes the tenant from its claim', async () => {
    const payload = { iss: 'https://issuer.example', aud: ['other', 'fraud-api'], sub: 'u1', org: 'initech' };
    expect(allowed(await check({ model: 'fraud', payload, alg: 'ES256' }))).toEqual({
      tenant: 'initech',
      credential: 'jwt',
    });
  });

  it('refuses a token for another audience, or signed with an algorithm outside the list, with 401', async () => {
    const payload = { iss: 'https://issuer.example', aud: 'resnet-api', sub: 'u1' };
    const aud = denied(await check({ model: 'fraud', payload, alg: 'ES256' }));
    expect(aud).toMatchObject({ http: 401, grpc: status.UNAUTHENTICATED });
    expect(aud.body).toContain('jwt-audience');
    const good = { ...payload, aud: 'fraud-api' };
    const alg = denied(await check({ model: 'fraud', payload: good, alg: 'RS512' }));
    expect(alg.body).toContain('jwt-algorithm');
    expect(denied(await check({ model: 'fraud', payload: good, alg: 'none' })).http).toBe(401);
  });

  it('refuses a missing client certificate with 401 and a foreign identity with 403 where identities are set', async () => {
    expect(denied(await check({ model: 'ranker' })).http).toBe(401);
    const foreign = denied(
      await check({ model: 'ranker', principal: 'spiffe://switchyard.local/ns/appsx/sa/a' }),
    );
    expect(foreign).toMatchObject({ http: 403, grpc: status.PERMISSION_DENIED });
    // Allowed: the tenant of a caller without key or token is its SPIFFE ID.
    const id = 'spiffe://switchyard.local/ns/apps/sa/web';
    expect(allowed(await check({ model: 'ranker', principal: id }))).toEqual({
      tenant: id,
      credential: 'none',
    });
  });

  it('refuses a check without a known model (403)', async () => {
    expect(denied(await check({ apiKey: 'fraud-key' })).http).toBe(403);
    expect(denied(await check({ model: 'nope', apiKey: 'fraud-key' })).http).toBe(403);
  });

  it('decides on a changed policy at once, without a restart', async () => {
    routes = parsePolicyFile(
      policy('fraud', `    apiKeys: [{ sha256: ${sha('rotated')}, tenant: acme }]`) + RESNET + RANKER,
      'p.yaml',
    );
    expect(denied(await check({ model: 'fraud', apiKey: 'fraud-key' })).http).toBe(401);
    expect(allowed(await check({ model: 'fraud', apiKey: 'rotated' })).tenant).toBe('acme');
  });

  it('answers plaintext callers only when it does not require mTLS', async () => {
    const strict = new Server();
    const svc = authorizationService({ routes: () => routes, mtlsOnly: true });
    strict.addService(svc.definition, svc.implementation);
    const p = await new Promise<number>((resolve, reject) =>
      strict.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, n) =>
        e ? reject(e) : resolve(n),
      ),
    );
    const c = new AuthzClient(`127.0.0.1:${p}`, credentials.createInsecure()) as unknown as CheckClient & {
      close(): void;
    };
    try {
      const err = await new Promise<{ code?: number } | null>((resolve) =>
        c.check(request({ model: 'resnet', apiKey: 'resnet-key' }), (e) =>
          resolve(e as { code?: number } | null),
        ),
      );
      expect(err?.code).toBe(status.PERMISSION_DENIED);
    } finally {
      c.close();
      strict.forceShutdown();
    }
  });

  it('fails the call when the service is down (the gateway then refuses: failure_mode_allow false)', async () => {
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    const err = await check({ model: 'fraud', apiKey: 'rotated' }).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(err?.code).toBe(status.UNAVAILABLE);
  });
});
