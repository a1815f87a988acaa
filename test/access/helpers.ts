// What the access suites share: a test issuer (ES256 keys made with jose, its JWKS inline or
// served over loopback HTTP), hand-made bad tokens, and one inference call of the `affine` model
// over gRPC (a real grpc-js client, metadata and trailers) and over REST (node:http/https), each
// reporting the outcome in the same shape so both transports can be compared call for call.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  compileAllowList,
  grpcChannelCredentials,
  type TlsMaterial,
  tlsClientOptions,
} from '../../kernel/tls/index.js';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'affine-api';

export interface Issuer {
  readonly jwks: { keys: JWK[] };
  sign(
    claims: Record<string, unknown>,
    opts?: { aud?: string; exp?: string | number; key?: 'good' | 'rogue' },
  ): Promise<string>;
  hs256(claims: Record<string, unknown>): Promise<string>;
}

export async function testIssuer(): Promise<Issuer> {
  const good = await generateKeyPair('ES256');
  const rogue = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(good.publicKey)), kid: 'test-1', alg: 'ES256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    sign: (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
        .setIssuer(ISSUER)
        .setAudience(opts.aud ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(opts.exp ?? '10m')
        .sign((opts.key === 'rogue' ? rogue : good).privateKey),
    hs256: (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: 'test-1' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!')),
  };
}

/** `alg: none`, made by hand (no library signs it). */
export function algNoneToken(claims: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b({ alg: 'none', typ: 'JWT' })}.${b({ iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600, ...claims })}.`;
}

/** A JWKS served on loopback (createRemoteJWKSet fetches it); counts the fetches. */
export async function serveJwks(
  jwks: object,
): Promise<{ url: string; fetches(): number; close(): Promise<void> }> {
  let n = 0;
  const server: Server = createServer((_req, res) => {
    n++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    fetches: () => n,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** One call's outcome, transport-neutral: HTTP status (gRPC codes mapped back), retry-after. */
export interface Outcome {
  readonly status: number;
  readonly retryAfter?: string;
  readonly wwwAuthenticate?: string;
  readonly message: string;
}

const GRPC_TO_HTTP: Record<number, number> = {
  [grpc.status.OK]: 200,
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.UNAVAILABLE]: 503,
};

export const X = [1, 2, 3, 4, 5, 6];

export interface CallOptions {
  readonly headers?: Record<string, string>;
  /** mTLS client material; the pod is expected to prove `server`. */
  readonly tls?: { material: TlsMaterial; server: string };
  readonly model?: string;
  readonly input?: readonly number[];
}

export class GrpcCaller {
  private readonly clients = new Map<string, grpc.Client>();
  constructor(private readonly port: number) {}

  private client(tls?: CallOptions['tls']): grpc.Client {
    const key = tls ? tls.material.certificateChain : 'plain';
    let c = this.clients.get(key);
    if (!c) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(GRPCInferenceService), 'KServe');
      const creds = tls
        ? grpcChannelCredentials(tls.material, compileAllowList([tls.server]))
        : grpc.credentials.createInsecure();
      c = new Ctor(`127.0.0.1:${this.port}`, creds, { 'grpc.ssl_target_name_override': 'workload.spiffe' });
      this.clients.set(key, c);
    }
    return c;
  }

  infer(o: CallOptions = {}): Promise<Outcome> {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(o.headers ?? {})) md.set(k, v);
    const x = new Float32Array(o.input ?? X);
    const req = create(ModelInferRequestSchema, {
      modelName: o.model ?? 'affine',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2n, 3n] }],
      rawInputContents: [new Uint8Array(x.buffer)],
    });
    const c = this.client(o.tls) as unknown as Record<string, (...args: unknown[]) => unknown>;
    return new Promise((resolve) => {
      c.modelInfer!.call(c, req, md, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null) => {
        if (!err) {
          resolve({ status: 200, message: '' });
          return;
        }
        const retry = err.metadata?.get('retry-after')[0];
        resolve({
          status: GRPC_TO_HTTP[err.code] ?? 1000 + err.code,
          ...(retry !== undefined ? { retryAfter: String(retry) } : {}),
          message: err.details,
        });
      });
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

export function restInfer(port: number, o: CallOptions = {}): Promise<Outcome> {
  const body = JSON.stringify({
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: o.input ?? X }],
  });
  const opts = {
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `/v2/models/${encodeURIComponent(o.model ?? 'affine')}/infer`,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...o.headers },
    agent: false as const,
    ...(o.tls ? tlsClientOptions(o.tls.material, compileAllowList([o.tls.server])) : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (o.tls ? httpsRequest : httpRequest)(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const h = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          ...(h['retry-after'] ? { retryAfter: String(h['retry-after']) } : {}),
          ...(h['www-authenticate'] ? { wwwAuthenticate: String(h['www-authenticate']) } : {}),
          message: res.statusCode === 200 ? '' : (JSON.parse(text) as { error: string }).error,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
