// Who is calling: a client certificate (on an mTLS connection the TLS layer verified), an API key
// (`x-api-key` or `Authorization: ApiKey ...`) or a bearer JWT. No credentials -> the configured
// anonymous roles (none by default). Credentials that are present but wrong are always refused.
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthenticatedError } from '../../kernel/errors/index.js';
import { certificateSpiffeId } from '../../kernel/tls/index.js';
import { apiKeyMatches } from './api-keys.js';
import type { AuthConfig } from './auth-config.js';
import { JwtVerifier } from './jwt.js';
import type { Principal } from './rbac.js';

export interface Credentials {
  readonly headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>;
  /** DER of a client certificate the TLS layer verified against the trust bundle. */
  readonly verifiedPeerCertificate?: Uint8Array;
}

function header(h: Credentials['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export class Authenticator {
  private readonly jwt?: JwtVerifier;

  constructor(readonly config: AuthConfig) {
    if (config.jwt) this.jwt = new JwtVerifier(config.jwt);
  }

  async authenticate(c: Credentials): Promise<Principal> {
    const auth = header(c.headers, 'authorization');
    const apiKey =
      header(c.headers, 'x-api-key') ?? (auth?.startsWith('ApiKey ') ? auth.slice(7).trim() : undefined);
    if (apiKey !== undefined) return this.fromApiKey(apiKey);
    if (auth?.startsWith('Bearer ')) {
      if (!this.jwt)
        throw new UnauthenticatedError('bearer tokens are not accepted: no jwt section in the auth config');
      return this.jwt.verify(auth.slice(7).trim());
    }
    if (auth) throw new UnauthenticatedError('unsupported Authorization scheme (use Bearer or ApiKey)');
    if (c.verifiedPeerCertificate?.length) return this.fromCertificate(c.verifiedPeerCertificate);
    return { id: 'anonymous', kind: 'anonymous', bindings: this.config.anonymous };
  }

  private fromApiKey(key: string): Principal {
    const found = this.config.apiKeys.find((k) => apiKeyMatches(key, k.hash));
    if (!found) throw new UnauthenticatedError('unknown API key');
    return { id: `apikey:${found.id}`, kind: 'apikey', bindings: found.roles };
  }

  private fromCertificate(der: Uint8Array): Principal {
    const id = certificateSpiffeId(der);
    if (!id.ok) throw new UnauthenticatedError(`client certificate: ${id.reason}`);
    const entry = this.config.mtls.find((m) => m.identity === id.identity);
    if (!entry)
      throw new UnauthenticatedError(`client certificate ${id.identity} is not known to the admin API`);
    return { id: id.identity, kind: 'mtls', bindings: entry.roles };
  }
}
