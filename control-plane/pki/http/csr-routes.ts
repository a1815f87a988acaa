// The CSR endpoint as routes the admin server mounts (or csr-server.ts, standalone):
//   POST /api/v1/certificates   {"csr": PEM, "token"?: string}  ->  IssuedCertificate as JSON
//   GET  /api/v1/trust-bundle                                    ->  {"trustBundle": PEM, "version"}
// The caller proves its identity with a bootstrap token or with the client certificate of an
// mTLS connection; the listener must request certificates without requiring them (tokens).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DetailedPeerCertificate, type PeerCertificate, TLSSocket } from 'node:tls';
import { asSwitchyardError } from '../../../kernel/errors/index.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { CsrInvalidError } from '../errors.js';
import type { IssuedCertificate, IssueRequest, WorkloadIssuer } from '../issuance/issuer.js';

export const CERTIFICATES_PATH = '/api/v1/certificates';
export const TRUST_BUNDLE_PATH = '/api/v1/trust-bundle';
export const MAX_CSR_BODY = 64 * 1024;
const MAX_BODY = MAX_CSR_BODY;

export interface CsrRouteDeps {
  readonly issuer: WorkloadIssuer;
  readonly authority: CertificateAuthority;
}

export interface PkiRoute {
  readonly method: 'POST' | 'GET';
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, peer?: PeerCertificate): Promise<void>;
}

/** The wire shape of a successful POST /api/v1/certificates. */
export interface CertificateResponse {
  identity: string;
  serialNumber: string;
  certificateChain: string;
  trustBundle: string;
  trustBundleVersion: string;
  expiresAt: string;
  renewAt: string;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = asSwitchyardError(err);
  send(res, e.httpStatus, e.toJSON());
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json'))
    throw new CsrInvalidError('request body must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new CsrInvalidError(`request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // fall through to the one error below
  }
  throw new CsrInvalidError('request body must be a JSON object {"csr": PEM, "token"?: string}');
}

/**
 * The peer certificate and the chain it sent. An explicit `peer` (the admin server's) wins;
 * otherwise read from the TLS socket, which works for node:https servers.
 */
export function peerFromRequest(req: IncomingMessage, peer?: PeerCertificate): IssueRequest['peer'] {
  let cert: PeerCertificate | undefined = peer;
  if (!cert && req.socket instanceof TLSSocket) cert = req.socket.getPeerCertificate(true);
  if (!cert?.raw?.length) return undefined;
  const chain: Buffer[] = [];
  let cur = (cert as DetailedPeerCertificate).issuerCertificate;
  while (cur?.raw && !cur.raw.equals(chain[chain.length - 1] ?? cert.raw) && chain.length < 5) {
    chain.push(cur.raw);
    if (cur.issuerCertificate === cur) break;
    cur = cur.issuerCertificate;
  }
  return { raw: cert.raw, chain };
}

/** The fields of a POST body, checked (shared with the admin server's mount of this route). */
export function csrRequestFrom(body: Record<string, unknown>): { csr: string; token?: string } {
  if (typeof body.csr !== 'string') throw new CsrInvalidError('"csr" must be a PEM string');
  if (body.token !== undefined && typeof body.token !== 'string')
    throw new CsrInvalidError('"token" must be a string');
  return { csr: body.csr, ...(body.token !== undefined ? { token: body.token as string } : {}) };
}

export function certificateResponse(issued: IssuedCertificate): CertificateResponse {
  return {
    identity: issued.identity,
    serialNumber: issued.serialNumber,
    certificateChain: issued.certificateChain,
    trustBundle: issued.trustBundle,
    trustBundleVersion: issued.trustBundleVersion,
    expiresAt: issued.expiresAt.toISOString(),
    renewAt: issued.renewAt.toISOString(),
  };
}

export function csrRoutes(deps: CsrRouteDeps): PkiRoute[] {
  return [
    {
      method: 'POST',
      path: CERTIFICATES_PATH,
      async handle(req, res, peer) {
        try {
          const body = csrRequestFrom(await readJson(req));
          const peerCert = peerFromRequest(req, peer);
          const issued = await deps.issuer.issue({
            csrPem: body.csr,
            ...(body.token !== undefined ? { token: body.token } : {}),
            ...(peerCert ? { peer: peerCert } : {}),
            ...(req.socket.remoteAddress
              ? { remote: `${req.socket.remoteAddress}:${req.socket.remotePort}` }
              : {}),
          });
          send(res, 200, certificateResponse(issued));
        } catch (err) {
          sendError(res, err);
        }
      },
    },
    {
      method: 'GET',
      path: TRUST_BUNDLE_PATH,
      async handle(_req, res) {
        const b = deps.authority.trustBundle();
        send(res, 200, { trustBundle: b.pem, version: b.version });
      },
    },
  ];
}
