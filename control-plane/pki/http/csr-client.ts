// The client side of the CSR routes, over HTTPS only: a bootstrap token must never cross the
// network in clear, and renewal authenticates with the client certificate of the TLS session.
// Every request uses a fresh connection so that the certificate presented is the current one.
import { request } from 'node:https';
import { isErrorCode, SwitchyardError, UnavailableError } from '../../../kernel/errors/index.js';
import {
  type PeerAllowList,
  spiffeServerIdentityCheck,
  type TlsMaterial,
} from '../../../kernel/tls/index.js';
import { CERTIFICATES_PATH, type CertificateResponse, TRUST_BUNDLE_PATH } from './csr-routes.js';

export interface ClientTls {
  /** Roots that verify the server (the current bundle, or the operator's CA on first contact). */
  readonly trustBundle: string;
  /** Our certificate and key, to authenticate by mTLS (renewal). */
  readonly material?: TlsMaterial;
  /** The server must present one of these SPIFFE IDs. */
  readonly expectServer: PeerAllowList;
  readonly timeoutMs?: number;
}

function call(
  server: string,
  method: 'GET' | 'POST',
  path: string,
  tls: ClientTls,
  body?: unknown,
): Promise<unknown> {
  const url = new URL(path, server);
  if (url.protocol !== 'https:')
    return Promise.reject(new UnavailableError(`${server}: the CSR endpoint is served over https only`));
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        ca: tls.trustBundle,
        ...(tls.material ? { key: tls.material.privateKey, cert: tls.material.certificateChain } : {}),
        checkServerIdentity: spiffeServerIdentityCheck(tls.expectServer),
        timeout: tls.timeoutMs ?? 10_000,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: reported below with the status
          }
          if (res.statusCode === 200) return resolve(json);
          const code = typeof json.code === 'string' && isErrorCode(json.code) ? json.code : undefined;
          const message = typeof json.message === 'string' ? json.message : `HTTP ${res.statusCode}`;
          reject(code ? new SwitchyardError(code, message) : new UnavailableError(`${url}: ${message}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new UnavailableError(`${url}: timed out`)));
    req.on('error', (err) =>
      reject(
        err instanceof SwitchyardError ? err : new UnavailableError(`${url}: ${err.message}`, { cause: err }),
      ),
    );
    req.end(payload);
  });
}

export async function postCsr(
  server: string,
  body: { csr: string; token?: string },
  tls: ClientTls,
): Promise<CertificateResponse> {
  return (await call(server, 'POST', CERTIFICATES_PATH, tls, body)) as CertificateResponse;
}

export async function getTrustBundle(
  server: string,
  tls: ClientTls,
): Promise<{ trustBundle: string; version: string }> {
  return (await call(server, 'GET', TRUST_BUNDLE_PATH, tls)) as { trustBundle: string; version: string };
}
