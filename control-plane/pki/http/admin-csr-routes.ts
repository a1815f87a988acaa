// The CSR endpoint mounted on the control plane's admin server (its HTTPS listener only): the same
// rules and answers as csr-routes.ts (`certs serve`), in the admin router's shape. The caller's
// proof is a bootstrap token or the client certificate of the connection; the admin listener
// requests certificates without requiring them, and the issuer verifies the chain itself, so
// the TLS layer's verdict alone decides nothing. These routes bypass the admin API's RBAC: a
// workload holds no API role, and what it may get is fixed by the issuer's rules.
import type { AdminRoute } from '../../admin/router.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { CsrInvalidError } from '../errors.js';
import type { WorkloadIssuer } from '../issuance/issuer.js';
import {
  CERTIFICATES_PATH,
  certificateResponse,
  csrRequestFrom,
  MAX_CSR_BODY,
  TRUST_BUNDLE_PATH,
} from './csr-routes.js';

const NO_STORE = { 'cache-control': 'no-store' };

function jsonObject(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (!(contentType ?? '').startsWith('application/json'))
    throw new CsrInvalidError('request body must be application/json');
  if (body.length > MAX_CSR_BODY) throw new CsrInvalidError(`request body larger than ${MAX_CSR_BODY} bytes`);
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // the one error below
  }
  throw new CsrInvalidError('request body must be a JSON object {"csr": PEM, "token"?: string}');
}

export function adminCsrRoutes(deps: {
  readonly issuer: WorkloadIssuer;
  readonly authority: CertificateAuthority;
}): AdminRoute[] {
  return [
    {
      method: 'POST',
      path: CERTIFICATES_PATH,
      async handle(req) {
        const body = csrRequestFrom(jsonObject(req.body, req.headers['content-type']));
        const raw = req.peerCertificate?.raw;
        const issued = await deps.issuer.issue({
          csrPem: body.csr,
          ...(body.token !== undefined ? { token: body.token } : {}),
          ...(raw?.length ? { peer: { raw } } : {}),
          ...(req.remoteAddress ? { remote: req.remoteAddress } : {}),
        });
        return { headers: NO_STORE, body: certificateResponse(issued) };
      },
    },
    {
      method: 'GET',
      path: TRUST_BUNDLE_PATH,
      handle() {
        const b = deps.authority.trustBundle();
        return { headers: NO_STORE, body: { trustBundle: b.pem, version: b.version } };
      },
    },
  ];
}
