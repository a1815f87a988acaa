// Shared fixtures of the PKI suites: CAs with a movable clock, real HTTPS and gRPC servers on
// loopback port 0, and one-shot clients that report how a connection ended.

import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type ConnectionOptions, connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import {
  BootstrapTokens,
  CertificateAuthority,
  MemoryAuditSink,
  MemoryCaStore,
  MemoryTokenStore,
  WorkloadIssuer,
} from '../../control-plane/pki/index.js';

export const TD = 'example.org';
export const WEB = `spiffe://${TD}/ns/default/sa/web`;
export const DB = `spiffe://${TD}/ns/default/sa/db`;
export const SERVER = `spiffe://${TD}/ns/models/sa/resnet`;

/** A clock that tests can move: CAs created in the past issue already-expired certificates. */
export class TestClock {
  offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
}

export async function newCa(trustDomain = TD, clock = new TestClock()) {
  const ca = await CertificateAuthority.create({ trustDomain, store: new MemoryCaStore(), now: clock.now });
  return { ca, clock };
}

export function newIssuer(ca: CertificateAuthority, ttlMs?: number) {
  const audit = new MemoryAuditSink();
  const tokens = new BootstrapTokens(new MemoryTokenStore(), ca.trustDomain, () => ca.now());
  const issuer = new WorkloadIssuer({ authority: ca, tokens, audit, ...(ttlMs ? { ttlMs } : {}) });
  return { issuer, tokens, audit };
}

export type Outcome = { ok: true; status: number; body: string } | { ok: false; error: string };

/** One HTTPS GET on a fresh connection; never throws, reports how it ended. */
export function httpsGet(url: string, tls: ConnectionOptions, path = '/'): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpsRequest(new URL(path, url), { ...tls, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, error: e.code ?? e.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** A raw TLS connection: resolves with the server's first bytes, or the error that ended it. */
export function tlsExchange(port: number, tls: ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ ...tls, host: '127.0.0.1', port }, () => socket.write('ping\n'));
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.once('data', (d) => {
      resolve({ ok: true, status: 0, body: d.toString() });
      socket.end();
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, error: e.code ?? e.message }));
    socket.once('close', () => resolve({ ok: false, error: 'closed' }));
  });
}

// A gRPC service with raw-bytes messages: no .proto needed, and the reply names the caller.
const passthrough = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};
export const WHOAMI_SERVICE: grpc.ServiceDefinition = {
  whoami: {
    path: '/switchyard.test.Echo/WhoAmI',
    requestStream: false,
    responseStream: false,
    ...passthrough,
  },
};
export const WhoAmIClient = grpc.makeGenericClientConstructor(WHOAMI_SERVICE, 'Echo');

export async function startGrpc(creds: grpc.ServerCredentials, interceptors: grpc.ServerInterceptor[] = []) {
  const server = new grpc.Server({ interceptors });
  server.addService(WHOAMI_SERVICE, {
    whoami: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const peer = call.getAuthContext().sslPeerCertificate;
      cb(null, Buffer.from(peer ? 'mtls' : 'anonymous'));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

// SPIFFE certificates carry no DNS name; a non-IP server name keeps node from warning (RFC 6066).
export const CHANNEL_OPTIONS = { 'grpc.ssl_target_name_override': 'workload.spiffe' };

export type CallOutcome = { ok: true; body: string } | { ok: false; code: number; details: string };

/** One unary call on `client`; resolves with the reply or the gRPC status code and details. */
export function unary(client: grpc.Client, deadlineMs = 5000): Promise<CallOutcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      WHOAMI_SERVICE.whoami!.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from('hi'),
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, res?: Buffer) =>
        resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, body: String(res) }),
    );
  });
}

/** One call on a fresh channel (so a fresh handshake), closed afterwards. */
export async function grpcCall(
  port: number,
  creds: grpc.ChannelCredentials,
  deadlineMs = 5000,
): Promise<CallOutcome> {
  const client = new WhoAmIClient(`127.0.0.1:${port}`, creds, CHANNEL_OPTIONS);
  try {
    return await unary(client, deadlineMs);
  } finally {
    client.close();
  }
}

export function listenPort(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}
