// A control plane backed by a real nats-server (JetStream KV store, audit stream) with an auth
// config: one API key per role and namespace, a JWKS for bearer tokens, and helpers to call the
// admin API as any of them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { NamespaceQuotas } from '../../control-plane/api/quotas.js';
import { generateApiKey, hashApiKey } from '../../control-plane/auth/api-keys.js';
import { type AuthConfig, parseAuthConfig } from '../../control-plane/auth/auth-config.js';
import { ControlPlane, type ControlPlaneOptions } from '../../control-plane/pipeline/control-plane.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { NatsServer } from '../helpers/nats-server.js';

export const ISSUER = 'https://idp.test.local/';
export const AUDIENCE = 'switchyard-admin';

export type KeyName = 'viewer-default' | 'operator-default' | 'admin-default' | 'admin-all' | 'viewer-all';

export interface ApiFixture {
  readonly nats: NatsServer;
  readonly cp: ControlPlane;
  readonly url: string;
  readonly xdsAddress: string;
  readonly keys: Record<KeyName, string>;
  readonly authConfig: AuthConfig;
  readonly dir: string;
  /** Sign a JWT with the JWKS key (or `opts.key` for negative tests). */
  jwt(
    claims: Record<string, unknown>,
    opts?: { kid?: string; issuer?: string; audience?: string; expiresIn?: string | number },
  ): Promise<string>;
  readonly publicJwk: JWK;
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field in tests
  ): Promise<{ status: number; json: any; headers: Headers }>;
  startReplica(extra?: Partial<ControlPlaneOptions>): Promise<ControlPlane>;
  close(): Promise<void>;
}

const BINDINGS: Record<KeyName, Array<{ role: string; namespaces: string[] }>> = {
  'viewer-default': [{ role: 'viewer', namespaces: ['default'] }],
  'operator-default': [{ role: 'operator', namespaces: ['default'] }],
  'admin-default': [{ role: 'admin', namespaces: ['default'] }],
  'viewer-all': [{ role: 'viewer', namespaces: ['*'] }],
  'admin-all': [{ role: 'admin', namespaces: ['*'] }],
};

export async function startApi(
  opts: {
    publicMetrics?: boolean;
    rateLimit?: { perSecond: number; burst: number };
    debounceQuietMs?: number;
    policyDir?: string;
    quotas?: NamespaceQuotas;
    /** JetStream's file store limit (the nats-server default here is 256 MiB). */
    maxFileStore?: number;
  } = {},
): Promise<ApiFixture> {
  const nats = await NatsServer.start(opts.maxFileStore ? { maxFileStore: opts.maxFileStore } : {});
  const dir = mkdtempSync(join(tmpdir(), 'sy-api-'));
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [publicJwk] }));
  const keys = Object.fromEntries(Object.keys(BINDINGS).map((k) => [k, generateApiKey()])) as Record<
    KeyName,
    string
  >;
  const authConfig = parseAuthConfig(
    {
      apiKeys: Object.entries(BINDINGS).map(([id, roles]) => ({
        id,
        hash: hashApiKey(keys[id as KeyName]),
        roles,
      })),
      jwt: { issuer: ISSUER, audience: AUDIENCE, jwksFile: 'jwks.json', algorithms: ['RS256'] },
      public: { healthz: true, metrics: opts.publicMetrics ?? false },
      rateLimit: opts.rateLimit ?? { perSecond: 1000, burst: 1000 },
    },
    'test-auth',
    dir,
  );
  const base = (extra: Partial<ControlPlaneOptions> = {}): ControlPlaneOptions => ({
    host: '127.0.0.1',
    xdsPort: 0,
    adminPort: 0,
    // Tests use a short quiet time; the benchmark passes the production default (100 ms).
    debounceQuietMs: opts.debounceQuietMs ?? 20,
    debounceMaxMs: Math.max(500, (opts.debounceQuietMs ?? 20) * 10),
    nats: { servers: nats.url, name: 'test-control-plane', ...nats.credentials() },
    auth: authConfig,
    registry: { kek: KeyEncryptionKey.fromKeyBytes(new Uint8Array(32).fill(3), 'test kek') },
    ...(opts.policyDir ? { policyDir: opts.policyDir } : {}),
    ...(opts.quotas ? { quotas: opts.quotas } : {}),
    ...extra,
  });
  const cp = new ControlPlane(base({ adminGrpcPort: 0 }));
  await cp.start();
  const url = `http://127.0.0.1:${cp.adminPort}`;
  const replicas: ControlPlane[] = [];
  return {
    nats,
    cp,
    url,
    xdsAddress: `127.0.0.1:${cp.xdsPort}`,
    keys,
    authConfig,
    dir,
    publicJwk,
    async jwt(claims, o = {}) {
      let t = new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'test-key-1' })
        .setIssuer(o.issuer ?? ISSUER)
        .setAudience(o.audience ?? AUDIENCE)
        .setIssuedAt();
      t = t.setExpirationTime(o.expiresIn ?? '5m');
      return t.sign(privateKey);
    },
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      const isJson = res.headers.get('content-type')?.includes('json');
      return { status: res.status, json: text && isJson ? JSON.parse(text) : text, headers: res.headers };
    },
    async startReplica(extra = {}) {
      const r = new ControlPlane(base(extra));
      await r.start();
      replicas.push(r);
      return r;
    },
    async close() {
      for (const r of replicas) await r.stop().catch(() => undefined);
      await cp.stop();
      await nats.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function apiKey(key: string): Record<string, string> {
  return { 'x-api-key': key };
}

/** A valid ModelRoute document. */
export function routeDoc(
  name: string,
  namespace = 'default',
  w1 = 90,
  ports: [number, number] = [9001, 9002],
) {
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name, namespace },
    spec: {
      model: namespace === 'default' ? name : `${namespace}-${name}`,
      mtls: 'DISABLE',
      versions: [
        { name: 'v1', weight: w1, endpoints: [{ address: '127.0.0.1', port: ports[0] }] },
        { name: 'v2', weight: 100 - w1, endpoints: [{ address: '127.0.0.1', port: ports[1] }] },
      ],
    },
  };
}
