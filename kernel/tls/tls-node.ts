// node:tls / node:https options from workload material, with peers judged by SPIFFE ID. The
// chain check (TLS layer, against the trust bundle) proves "a workload of this trust domain";
// the SAN check here proves "the workload we meant" (Consul CVE-2021-32574 class).
import {
  type ConnectionOptions,
  createSecureContext,
  type PeerCertificate,
  type Server,
  type TLSSocket,
  type TlsOptions,
} from 'node:tls';
import { PeerRefusedError } from './errors.js';
import type { TlsMaterial } from './material.js';
import { decidePeer, type PeerAllowList, type PeerDecision } from './peer-identity.js';

export interface ServerTlsOptions {
  /** Refuse the handshake without a trusted client certificate (STRICT). Default true. */
  readonly requireClientCert?: boolean;
}

/** Options for tls.createServer / https.createServer. Pair with enforcePeerIdentity. */
export function tlsServerOptions(m: TlsMaterial, o: ServerTlsOptions = {}): TlsOptions {
  return {
    key: m.privateKey,
    cert: m.certificateChain,
    ca: m.trustBundle,
    requestCert: true,
    rejectUnauthorized: o.requireClientCert ?? true,
    minVersion: 'TLSv1.2',
  };
}

/** The secure-context part alone, for server.setSecureContext() when material rotates. */
export function secureContextOptions(m: TlsMaterial): Pick<TlsOptions, 'key' | 'cert' | 'ca'> {
  return { key: m.privateKey, cert: m.certificateChain, ca: m.trustBundle };
}

/**
 * Closes every connection whose client certificate is not on `allow`, right after the
 * handshake, before a request is read. With requireClientCert false (PERMISSIVE), peers
 * without a certificate pass and are left to the application (decision in `onDecision`).
 */
export function enforcePeerIdentity(
  server: Server,
  allow: PeerAllowList,
  o: { permitAnonymous?: boolean; onDecision?: (d: PeerDecision, socket: TLSSocket) => void } = {},
): void {
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const cert = socket.getPeerCertificate();
    const anonymous = !cert?.raw;
    const decision: PeerDecision = anonymous
      ? { allowed: false, reason: 'peer presented no certificate' }
      : !socket.authorized
        ? { allowed: false, reason: `untrusted certificate: ${String(socket.authorizationError)}` }
        : decidePeer(cert, allow);
    o.onDecision?.(decision, socket);
    if (decision.allowed || (anonymous && o.permitAnonymous)) return;
    socket.destroy();
  });
}

/** checkServerIdentity for node and grpc-js: accept the server only if its SPIFFE ID is allowed. */
export function spiffeServerIdentityCheck(
  allow: PeerAllowList,
): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const d = decidePeer(cert, allow);
    return d.allowed ? undefined : new PeerRefusedError(d.identity, d.reason);
  };
}

/**
 * Options for tls.connect / https.request: present our certificate, verify the server's ID.
 * The secure context is built once here (parsing PEM and the CA store costs milliseconds), so
 * reuse the result for every connection until the material changes.
 */
export function tlsClientOptions(m: TlsMaterial, expectServer: PeerAllowList): ConnectionOptions {
  return {
    secureContext: createSecureContext({ key: m.privateKey, cert: m.certificateChain, ca: m.trustBundle }),
    rejectUnauthorized: true,
    checkServerIdentity: spiffeServerIdentityCheck(expectServer),
    minVersion: 'TLSv1.2',
  };
}
