// Real node:https over loopback with issued certificates: the chain decides "trusted", the SPIFFE
// allow-list decides "the workload we meant", on both ends of the connection.
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocally, type LocalIssued } from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  enforcePeerIdentity,
  type PeerDecision,
  spiffeServerIdentityCheck,
  tlsClientOptions,
  tlsServerOptions,
} from '../../kernel/tls/index.js';
import { DB, httpsGet, listenPort, newCa, SERVER, TestClock, WEB } from '../helpers/pki.js';

const H = 3_600_000;
/** The server closed the connection: how a refusal looks from the client. */
const REFUSED = { ok: false, error: 'ECONNRESET' };

describe('node:https with SPIFFE peer checks', () => {
  let server: Server;
  let url: string;
  let web: LocalIssued;
  let db: LocalIssued;
  let expired: LocalIssued;
  let foreign: LocalIssued;
  const decisions: PeerDecision[] = [];
  const handshakeErrors: string[] = [];
  const allowServer = compileAllowList([SERVER]);

  beforeAll(async () => {
    const clock = new TestClock();
    clock.offsetMs = -3 * H;
    const { ca } = await newCa(undefined, clock);
    expired = await issueLocally(ca, WEB, { ttlMs: H });
    clock.offsetMs = 0;
    web = await issueLocally(ca, WEB);
    db = await issueLocally(ca, DB);
    const serving = await issueLocally(ca, SERVER);
    // Same trust domain, same identity, but a CA the server never trusted.
    foreign = await issueLocally((await newCa()).ca, WEB);
    server = createServer(tlsServerOptions(serving.material), (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(`hello ${peer.raw ? 'mtls' : 'anonymous'}`);
    });
    enforcePeerIdentity(server, compileAllowList([WEB]), { onDecision: (d) => decisions.push(d) });
    server.on('tlsClientError', (e) => handshakeErrors.push(e.message));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${listenPort(server)}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('serves the right identity', async () => {
    expect(await httpsGet(url, tlsClientOptions(web.material, allowServer))).toEqual({
      ok: true,
      status: 200,
      body: 'hello mtls',
    });
    expect(decisions.at(-1)).toEqual({ allowed: true, identity: WEB });
  });

  it('refuses a trusted certificate with the wrong SPIFFE ID', async () => {
    expect(await httpsGet(url, tlsClientOptions(db.material, allowServer))).toEqual(REFUSED);
    expect(decisions.at(-1)).toEqual({
      allowed: false,
      identity: DB,
      reason: `${DB} is not on the allow-list`,
    });
  });

  it('refuses an expired certificate, an untrusted CA and a missing certificate in the handshake', async () => {
    handshakeErrors.length = 0;
    const before = decisions.length;
    expect(await httpsGet(url, tlsClientOptions(expired.material, allowServer))).toEqual(REFUSED);
    // The client trusts the server; only its own certificate comes from a CA the server does not know.
    const untrusted = tlsClientOptions(
      foreign.material.withTrustBundle(web.material.trustBundle),
      allowServer,
    );
    expect(await httpsGet(url, untrusted)).toEqual(REFUSED);
    const anonymous = {
      ca: web.material.trustBundle,
      checkServerIdentity: spiffeServerIdentityCheck(allowServer),
    };
    expect(await httpsGet(url, anonymous)).toEqual({
      ok: false,
      error: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    });
    expect(handshakeErrors.join('\n')).toMatch(/peer did not return a certificate/);
    // Refused by the TLS layer itself: none of them reached the SPIFFE check.
    expect(decisions.length).toBe(before);
  });

  it('says why, when the listener admits certificate-less clients (PERMISSIVE) and checks the rest', async () => {
    const seen: PeerDecision[] = [];
    const permissive = createServer(
      tlsServerOptions(web.material, { requireClientCert: false }),
      (_req, res) => res.end('ok'),
    );
    enforcePeerIdentity(permissive, compileAllowList([WEB]), {
      permitAnonymous: true,
      onDecision: (d) => seen.push(d),
    });
    await new Promise<void>((r) => permissive.listen(0, '127.0.0.1', r));
    const purl = `https://127.0.0.1:${listenPort(permissive)}`;
    const allowWeb = compileAllowList([WEB]);
    try {
      expect(await httpsGet(purl, tlsClientOptions(expired.material, allowWeb))).toMatchObject({ ok: false });
      expect(seen.at(-1)).toEqual({ allowed: false, reason: 'untrusted certificate: CERT_HAS_EXPIRED' });
      const untrusted = tlsClientOptions(
        foreign.material.withTrustBundle(web.material.trustBundle),
        allowWeb,
      );
      expect(await httpsGet(purl, untrusted)).toMatchObject({ ok: false });
      expect(seen.at(-1)).toEqual({
        allowed: false,
        reason: expect.stringMatching(/^untrusted certificate: UNABLE_TO_GET_ISSUER_CERT/),
      });
      const anonymous = {
        ca: web.material.trustBundle,
        checkServerIdentity: spiffeServerIdentityCheck(allowWeb),
      };
      expect(await httpsGet(purl, anonymous)).toEqual({ ok: true, status: 200, body: 'ok' });
      expect(await httpsGet(purl, tlsClientOptions(db.material, allowWeb))).toMatchObject({ ok: false });
      expect(seen.at(-1)).toMatchObject({ allowed: false, identity: DB });
    } finally {
      await new Promise<void>((r) => permissive.close(() => r()));
    }
  });

  it('lets the client refuse a server whose SPIFFE ID is not the one expected', async () => {
    const out = await httpsGet(
      url,
      tlsClientOptions(web.material, compileAllowList([`spiffe://example.org/ns/models/sa/bert`])),
    );
    expect(out).toEqual({ ok: false, error: 'SY_PKI_PEER_REFUSED' });
  });
});
