// Trust-bundle rollover over real TLS: prepare (new root trusted, not signing), activate (new
// root signs, old still trusted), drop (old root gone). Certificates of both generations work
// during the overlap; after the drop only the new one does.
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaChange,
  CaError,
  type CertificateAuthority,
  createCsr,
  issueLocally,
  type LocalIssued,
} from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  enforcePeerIdentity,
  generateKeyPair,
  pemBlocks,
  secureContextOptions,
  tlsClientOptions,
  tlsServerOptions,
} from '../../kernel/tls/index.js';
import { httpsGet, listenPort, newCa, newIssuer, SERVER, WEB } from '../helpers/pki.js';

describe('CA rotation and trust-bundle rollover', () => {
  let ca: CertificateAuthority;
  let server: Server;
  let url: string;
  let serving: LocalIssued;
  let oldWeb: LocalIssued;
  const changes: CaChange[] = [];
  const expectServer = compileAllowList([SERVER]);
  /** A client as a workload would be after receiving the bundle: its cert, the current roots. */
  const client = (m: LocalIssued) =>
    tlsClientOptions(m.material.withTrustBundle(ca.trustBundle().pem), expectServer);
  const issuerOf = (m: LocalIssued) => new X509Certificate(m.material.certificateChain).issuer;

  beforeAll(async () => {
    ({ ca } = await newCa());
    serving = await issueLocally(ca, SERVER);
    oldWeb = await issueLocally(ca, WEB);
    server = createServer(tlsServerOptions(serving.material), (_q, r) => r.end('ok'));
    enforcePeerIdentity(server, compileAllowList([WEB]));
    // What a pod does with the change notification: new roots for the handshakes to come.
    ca.onChange((c) => {
      changes.push(c);
      server.setSecureContext(secureContextOptions(serving.material.withTrustBundle(c.bundle.pem)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${listenPort(server)}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('prepares: the new root joins the bundle, the old generation still signs', async () => {
    const v1 = ca.trustBundle().version;
    const next = await ca.prepareRotation();
    expect(changes.at(-1)).toMatchObject({ reason: 'prepared' });
    expect(changes.at(-1)!.bundle.roots).toHaveLength(2);
    expect(changes.at(-1)!.bundle.version).not.toBe(v1);
    expect(ca.generations().map((g) => g.state)).toEqual(['active', 'prepared']);
    expect(issuerOf(await issueLocally(ca, WEB))).toBe(issuerOf(oldWeb));
    await expect(ca.prepareRotation()).rejects.toThrow(CaError);
    expect(next).toBe(ca.generations()[1]!.id);
  });

  it('activates: new certificates chain to the new root; old and new are both accepted', async () => {
    await ca.activatePrepared();
    expect(changes.at(-1)).toMatchObject({ reason: 'activated' });
    // The pod renews its own serving certificate from the new generation.
    serving = await issueLocally(ca, SERVER);
    server.setSecureContext(secureContextOptions(serving.material));
    expect(ca.generations().map((g) => g.state)).toEqual(['retired', 'active']);
    const newWeb = await issueLocally(ca, WEB);
    expect(issuerOf(newWeb)).not.toBe(issuerOf(oldWeb));
    expect(await httpsGet(url, client(oldWeb))).toMatchObject({ ok: true, status: 200 });
    expect(await httpsGet(url, client(newWeb))).toMatchObject({ ok: true, status: 200 });
  });

  it('lets an old-generation certificate renew during the overlap, but not after the drop', async () => {
    const { issuer } = newIssuer(ca);
    const renew = async () => {
      const csrPem = await createCsr(await generateKeyPair(true), [{ type: 'url', value: WEB }]);
      const peer = {
        raw: pemBlocks(oldWeb.material.certificateChain)[0]!,
        chain: pemBlocks(oldWeb.material.certificateChain).slice(1),
      };
      return issuer.issue({ csrPem, peer });
    };
    expect((await renew()).identity).toBe(WEB);
    const retired = ca.generations().find((g) => g.state === 'retired')!;
    await expect(ca.dropGeneration(ca.generations().find((g) => g.state === 'active')!.id)).rejects.toThrow(
      /is active/,
    );
    const fingerprint = ca.trustBundle().roots.find((r) => r.pem === retired.record.rootPem)!.fingerprint;
    await ca.dropGeneration(fingerprint);
    expect(changes.at(-1)).toMatchObject({ reason: 'dropped' });
    expect(changes.at(-1)!.bundle.roots).toHaveLength(1);
    await expect(renew()).rejects.toMatchObject({ code: 'SY_PKI_UNAUTHENTICATED' });
  });

  it('refuses the old generation after the drop and still accepts the new', async () => {
    const newWeb = await issueLocally(ca, WEB);
    // The client trusts the server (current roots); only its own old-generation cert is judged,
    // and the server closes the connection (a client-side verify failure would name a cert error).
    expect(await httpsGet(url, client(oldWeb))).toEqual({ ok: false, error: 'ECONNRESET' });
    expect(await httpsGet(url, client(newWeb))).toMatchObject({ ok: true, status: 200 });
  });
});
