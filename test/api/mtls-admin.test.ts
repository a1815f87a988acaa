// The admin API over HTTPS with client certificates from the built-in CA: a known SPIFFE ID gets
// its roles, an unknown one is refused, a certificate from another CA proves nothing.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthConfig } from '../../control-plane/auth/auth-config.js';
import { ControlPlane } from '../../control-plane/pipeline/control-plane.js';
import { issueLocally } from '../../control-plane/pki/index.js';
import type { TlsMaterial } from '../../kernel/tls/index.js';
import { newCa, TD } from '../helpers/pki.js';

const DEPLOYER = `spiffe://${TD}/ns/ops/sa/deployer`;
const STRANGER = `spiffe://${TD}/ns/ops/sa/stranger`;

let cp: ControlPlane;
let deployer: TlsMaterial;
let stranger: TlsMaterial;
let foreign: TlsMaterial;
let trust: string;

beforeAll(async () => {
  const { ca } = await newCa();
  const { ca: otherCa } = await newCa();
  const server = (await issueLocally(ca, `spiffe://${TD}/ns/switchyard/sa/control-plane`)).material;
  deployer = (await issueLocally(ca, DEPLOYER)).material;
  stranger = (await issueLocally(ca, STRANGER)).material;
  foreign = (await issueLocally(otherCa, DEPLOYER)).material;
  trust = server.trustBundle;
  cp = new ControlPlane({
    host: '127.0.0.1',
    xdsPort: 0,
    adminPort: 0,
    debounceQuietMs: 20,
    debounceMaxMs: 200,
    auth: parseAuthConfig(
      { mtls: [{ identity: DEPLOYER, roles: [{ role: 'viewer', namespaces: ['*'] }] }] },
      'test',
    ),
    adminTls: {
      cert: server.certificateChain,
      key: server.privateKey,
      ca: trust,
      requestCert: true,
      rejectUnauthorized: false,
    },
  });
  await cp.start();
});
afterAll(async () => {
  await cp?.stop();
});

function get(path: string, client?: TlsMaterial): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: cp.adminPort,
        path,
        ca: trust,
        // The server proves a SPIFFE ID, not a host name; the chain is still checked.
        checkServerIdentity: () => undefined,
        agent: false,
        ...(client ? { cert: client.certificateChain, key: client.privateKey } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('admin API over mTLS', () => {
  it('authenticates a known client certificate by its SPIFFE ID', async () => {
    const r = await get('/api/v1/proxies', deployer);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toHaveProperty('proxies');
  });

  it('refuses a valid certificate whose identity is not configured', async () => {
    const r = await get('/api/v1/proxies', stranger);
    expect(r.status).toBe(401);
    expect(r.body).toMatch(/stranger is not known to the admin API/);
  });

  it('does not trust a certificate from another CA, and anonymous callers have no roles', async () => {
    // An untrusted certificate proves nothing: both callers lack credentials (401), not a role.
    expect((await get('/api/v1/proxies', foreign)).status).toBe(401);
    expect((await get('/api/v1/proxies')).status).toBe(401);
    expect((await get('/healthz')).status).toBe(200);
  });
});
