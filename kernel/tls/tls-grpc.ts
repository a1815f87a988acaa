// @grpc/grpc-js credentials from workload material. Rotation without dropping connections uses
// grpc-js's certificate-provider credentials (exported under `experimental`, the mechanism
// grpc-js-xds itself uses for xDS mTLS): when a provider publishes new material, the server calls
// http2Server.setSecureContext(); connections already open keep their session, new handshakes
// get the new certificate.
import {
  type ChannelCredentials,
  credentials as channelCredentials,
  experimental,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptor,
  status,
} from '@grpc/grpc-js';
import type { TlsMaterial } from './material.js';
import { decidePeer, type PeerAllowList } from './peer-identity.js';
import { spiffeServerIdentityCheck } from './tls-node.js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/**
 * A grpc-js CertificateProvider fed from memory: update() publishes new material to every
 * server and channel built on it (a pod renewing its certificate calls this).
 */
export class MemoryCertificateProvider implements experimental.CertificateProvider {
  #material: TlsMaterial | undefined;
  readonly #ca = new Set<CaListener>();
  readonly #identity = new Set<IdentityListener>();

  constructor(material?: TlsMaterial) {
    this.#material = material;
  }

  update(material: TlsMaterial): void {
    this.#material = material;
    const id = this.identityUpdate();
    const ca = this.caUpdate();
    for (const l of this.#identity) l(id);
    for (const l of this.#ca) l(ca);
  }

  private identityUpdate() {
    const m = this.#material;
    return m ? { certificate: Buffer.from(m.certificateChain), privateKey: Buffer.from(m.privateKey) } : null;
  }
  private caUpdate() {
    return this.#material ? { caCertificate: Buffer.from(this.#material.trustBundle) } : null;
  }

  addCaCertificateListener(l: CaListener): void {
    this.#ca.add(l);
    if (this.#material) process.nextTick(l, this.caUpdate());
  }
  removeCaCertificateListener(l: CaListener): void {
    this.#ca.delete(l);
  }
  addIdentityCertificateListener(l: IdentityListener): void {
    this.#identity.add(l);
    if (this.#material) process.nextTick(l, this.identityUpdate());
  }
  removeIdentityCertificateListener(l: IdentityListener): void {
    this.#identity.delete(l);
  }
}

/**
 * Server credentials that follow `provider`. requireClientCert (STRICT) makes the handshake
 * fail without a client certificate chaining to the bundle; pair with spiffePeerInterceptor.
 */
export function grpcServerCredentials(
  provider: experimental.CertificateProvider,
  requireClientCert = true,
): ServerCredentials {
  // grpc-js names the parameters (ca, identity) but uses them as (identity, ca); grpc-js-xds's
  // server passes (identity, ca), and so do we.
  return experimental.createCertificateProviderServerCredentials(provider, provider, requireClientCert);
}

/** Fixed server credentials (no rotation): createSsl with client certificates required. */
export function grpcStaticServerCredentials(m: TlsMaterial, requireClientCert = true): ServerCredentials {
  return ServerCredentials.createSsl(
    Buffer.from(m.trustBundle),
    [{ private_key: Buffer.from(m.privateKey), cert_chain: Buffer.from(m.certificateChain) }],
    requireClientCert,
  );
}

/** Refuses every call (PERMISSION_DENIED) whose client certificate is not on `allow`. */
export function spiffePeerInterceptor(allow: PeerAllowList): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const decision = decidePeer(call.getAuthContext().sslPeerCertificate, allow);
            if (decision.allowed) nextMetadata(metadata);
            else
              call.sendStatus({
                code: status.PERMISSION_DENIED,
                details: `peer refused: ${decision.reason}`,
              });
          },
        });
      },
    });
}

/** Channel credentials: present our certificate, accept the server only by its SPIFFE ID. */
export function grpcChannelCredentials(m: TlsMaterial, expectServer: PeerAllowList): ChannelCredentials {
  return channelCredentials.createSsl(
    Buffer.from(m.trustBundle),
    Buffer.from(m.privateKey),
    Buffer.from(m.certificateChain),
    { checkServerIdentity: spiffeServerIdentityCheck(expectServer) },
  );
}

/** Channel credentials that follow `provider` (a renewing client keeps one channel). */
export function grpcProviderChannelCredentials(
  provider: experimental.CertificateProvider,
  expectServer: PeerAllowList,
): ChannelCredentials {
  return experimental.createCertificateProviderChannelCredentials(provider, provider, {
    checkServerIdentity: spiffeServerIdentityCheck(expectServer),
  });
}
