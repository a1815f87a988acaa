// Real @grpc/grpc-js server and clients over loopback with issued certificates: the handshake
// enforces the chain, the interceptor enforces the SPIFFE ID, the client checks the server's.
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocally, type LocalIssued } from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  grpcChannelCredentials,
  grpcStaticServerCredentials,
  spiffePeerInterceptor,
} from '../../kernel/tls/index.js';
import { DB, grpcCall, newCa, SERVER, startGrpc, TestClock, tlsExchange, WEB } from '../helpers/pki.js';

const H = 3_600_000;

describe('grpc-js with SPIFFE peer checks', () => {
  let grpcServer: Awaited<ReturnType<typeof startGrpc>>;
  let web: LocalIssued;
  let db: LocalIssued;
  let expired: LocalIssued;
  let foreign: LocalIssued;
  const expectServer = compileAllowList([SERVER]);

  beforeAll(async () => {
    const clock = new TestClock();
    clock.offsetMs = -3 * H;
    const { ca } = await newCa(undefined, clock);
    expired = await issueLocally(ca, WEB, { ttlMs: H });
    clock.offsetMs = 0;
    web = await issueLocally(ca, WEB);
    db = await issueLocally(ca, DB);
    foreign = await issueLocally((await newCa()).ca, WEB);
    const serving = await issueLocally(ca, SERVER);
    grpcServer = await startGrpc(grpcStaticServerCredentials(serving.material), [
      spiffePeerInterceptor(compileAllowList([WEB])),
    ]);
  });
  afterAll(() => grpcServer.close());

  it('serves the right identity over mTLS', async () => {
    expect(await grpcCall(grpcServer.port, grpcChannelCredentials(web.material, expectServer))).toEqual({
      ok: true,
      body: 'mtls',
    });
  });

  it('denies a trusted certificate with the wrong SPIFFE ID', async () => {
    const out = await grpcCall(grpcServer.port, grpcChannelCredentials(db.material, expectServer));
    expect(out).toEqual({
      ok: false,
      code: status.PERMISSION_DENIED,
      details: `peer refused: ${DB} is not on the allow-list`,
    });
  });

  it('fails the handshake for an expired certificate, an untrusted CA and no certificate', async () => {
    const trustBundle = Buffer.from(web.material.trustBundle);
    const untrusted = credentials.createSsl(
      trustBundle,
      Buffer.from(foreign.material.privateKey),
      Buffer.from(foreign.material.certificateChain),
      { checkServerIdentity: () => undefined },
    );
    const anonymous = credentials.createSsl(trustBundle, null, null, {
      checkServerIdentity: () => undefined,
    });
    for (const creds of [grpcChannelCredentials(expired.material, expectServer), untrusted, anonymous]) {
      const out = await grpcCall(grpcServer.port, creds, 3000);
      expect(out).toMatchObject({ ok: false, code: status.UNAVAILABLE });
    }
    // grpc-js words most handshake failures "Failed to connect", as it would a server that is down.
    // The same certificates on a raw TLS connection tell them apart: the server speaks HTTP/2 to a
    // valid certificate, drops an expired or foreign one after checking it (Node's TLS server
    // sends no alert for a chain it rejects), and alerts when none is sent.
    const tls = (m?: LocalIssued['material']) => ({
      ca: web.material.trustBundle,
      ...(m ? { key: m.privateKey, cert: m.certificateChain } : {}),
      ALPNProtocols: ['h2'],
      checkServerIdentity: () => undefined,
    });
    expect((await tlsExchange(grpcServer.port, tls(web.material))).ok).toBe(true);
    expect([
      await tlsExchange(grpcServer.port, tls(expired.material)),
      await tlsExchange(grpcServer.port, tls(foreign.material)),
      await tlsExchange(grpcServer.port, tls()),
    ]).toEqual([
      { ok: false, error: 'closed' },
      { ok: false, error: 'closed' },
      { ok: false, error: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
    ]);
  });

  it('lets the client refuse a server whose SPIFFE ID is not the one expected', async () => {
    const out = await grpcCall(
      grpcServer.port,
      grpcChannelCredentials(web.material, compileAllowList([WEB])),
      3000,
    );
    expect(out).toMatchObject({ ok: false, code: status.UNAVAILABLE });
    expect(out.ok ? '' : out.details).toMatch(
      /spiffe:\/\/example.org\/ns\/models\/sa\/resnet is not on the allow-list/,
    );
  });
});
