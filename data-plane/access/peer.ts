// The mTLS peer's SPIFFE ID for a request: from the TLS socket under node:http, from the call's
// auth context under grpc-js (the pod's mTLS front hands both servers the TLS socket itself,
// server/mtls-listener.ts, which has already refused untrusted and off-list certificates).
// certificateSpiffeId remembers what it parsed, so a request pays a hash, not a parse.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { certificateSpiffeId } from '../../kernel/tls/index.js';

function idOf(raw: Uint8Array | undefined): string | undefined {
  if (!raw?.length) return undefined;
  const r = certificateSpiffeId(raw);
  return r.ok ? r.identity : undefined;
}

/** node:http: the socket of a request (a TLSSocket behind the mTLS front, else no identity). */
export function peerOfSocket(socket: Socket): string | undefined {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function' || tls.authorized !== true) return undefined;
  return idOf(tls.getPeerCertificate().raw);
}

interface AuthContextCall {
  getAuthContext?: () => { sslPeerCertificate?: { raw?: Uint8Array } | undefined } | null;
}

/** grpc-js: a call's auth context (sslPeerCertificate is set for an authorized TLS peer). */
export function peerOfCall(call: AuthContextCall): string | undefined {
  return idOf(call.getAuthContext?.()?.sslPeerCertificate?.raw);
}
