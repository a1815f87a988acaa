// A gRPC server rotating its certificate under steady load: long-lived channels keep their
// sessions, new handshakes get the new certificate, and not one RPC fails.

import type { PeerCertificate } from 'node:tls';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocally, type LocalIssued } from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  grpcServerCredentials,
  MemoryCertificateProvider,
  spiffePeerInterceptor,
  spiffeServerIdentityCheck,
} from '../../kernel/tls/index.js';
import { waitFor } from '../helpers/control-plane.js';
import {
  type CallOutcome,
  CHANNEL_OPTIONS,
  newCa,
  SERVER,
  startGrpc,
  unary,
  WEB,
  WhoAmIClient,
} from '../helpers/pki.js';

describe('server certificate rotation under load', () => {
  let web: LocalIssued;
  let grpcServer: Awaited<ReturnType<typeof startGrpc>>;
  let provider: MemoryCertificateProvider;
  let ca: Awaited<ReturnType<typeof newCa>>['ca'];
  const seenSerials = new Set<string>();

  beforeAll(async () => {
    ({ ca } = await newCa());
    web = await issueLocally(ca, WEB);
    provider = new MemoryCertificateProvider((await issueLocally(ca, SERVER)).material);
    grpcServer = await startGrpc(grpcServerCredentials(provider), [
      spiffePeerInterceptor(compileAllowList([WEB])),
    ]);
  });
  afterAll(() => grpcServer.close());

  it('drops zero RPCs while the server certificate is replaced three times', async () => {
    const check = spiffeServerIdentityCheck(compileAllowList([SERVER]));
    const creds = credentials.createSsl(
      Buffer.from(web.material.trustBundle),
      Buffer.from(web.material.privateKey),
      Buffer.from(web.material.certificateChain),
      {
        checkServerIdentity: (host: string, cert: PeerCertificate) => {
          seenSerials.add(cert.serialNumber.toLowerCase());
          return check(host, cert);
        },
      },
    );
    const target = `127.0.0.1:${grpcServer.port}`;
    const failures: CallOutcome[] = [];
    let calls = 0;
    let stop = false;
    const record = (o: CallOutcome) => {
      calls++;
      if (!o.ok) failures.push(o);
    };
    // Four long-lived channels calling back to back, and one that reconnects for every call.
    const steady = Array.from({ length: 4 }, async () => {
      const client = new WhoAmIClient(target, creds, CHANNEL_OPTIONS);
      while (!stop) record(await unary(client));
      client.close();
    });
    let fresh = 0;
    const churn = (async () => {
      while (!stop) {
        const client = new WhoAmIClient(target, creds, {
          ...CHANNEL_OPTIONS,
          'grpc.use_local_subchannel_pool': 1,
        });
        record(await unary(client));
        fresh++;
        client.close();
      }
    })();
    // Each phase waits for what it needs (calls on the wire, fresh handshakes with the new
    // certificate), not for a time: a loaded machine only makes it slower.
    const traffic = async (what: string) => {
      const [c0, f0] = [calls, fresh];
      await waitFor(() => calls >= c0 + 40 && fresh >= f0 + 2, 60_000, what);
    };
    await traffic('traffic before the first rotation');
    const rotated: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await issueLocally(ca, SERVER);
      provider.update(next.material);
      rotated.push(next.serialNumber);
      await waitFor(
        () => seenSerials.has(next.serialNumber),
        60_000,
        `a handshake with certificate ${i + 1}`,
      );
      await traffic(`traffic on certificate ${i + 1}`);
    }
    stop = true;
    await Promise.all([...steady, churn]);
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThanOrEqual(160);
    expect(fresh).toBeGreaterThanOrEqual(8);
    // New handshakes picked up every rotated certificate.
    expect(rotated.filter((s) => seenSerials.has(s))).toEqual(rotated);
  }, 300_000);
});
