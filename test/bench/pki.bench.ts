// Benchmark of the PKI (docs/SECURITY.md), all in one process and one run, side by side:
//  - handshakes: a raw TCP connect vs a full mTLS handshake (node:tls), and a new gRPC channel
//    plus its first unary call, insecure vs mTLS (grpc-js, SPIFFE interceptor on), in
//    alternating windows so both see the same machine load;
//  - CSR signings: WorkloadIssuer.issue (parse, CSR signature check, token, policy, sign,
//    audit) and the bare CA signature (signLeaf);
//  - trust-bundle build: buildTrustBundle over 2 and 10 roots (pure).
// Medians over ROUNDS; `npx tsx test/bench/run.ts pki`.

import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer as netServer } from 'node:net';
import { dirname, join } from 'node:path';
import { connect as tlsConnect, createServer as tlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { credentials, ServerCredentials } from '@grpc/grpc-js';
import { renderTable } from '../../control-plane/cli/table.js';
import {
  BootstrapTokens,
  buildTrustBundle,
  CaGeneration,
  CertificateAuthority,
  createCsr,
  issueLocally,
  MemoryCaStore,
  MemoryTokenStore,
  NULL_AUDIT,
  WorkloadIssuer,
} from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  generateKeyPair,
  grpcChannelCredentials,
  grpcStaticServerCredentials,
  spiffePeerInterceptor,
  tlsClientOptions,
  tlsServerOptions,
  x509,
} from '../../kernel/tls/index.js';
import { CHANNEL_OPTIONS, startGrpc, unary, WhoAmIClient } from '../helpers/pki.js';

const ROUNDS = Number(process.env.PKI_BENCH_ROUNDS ?? 5);
const WINDOW_MS = Number(process.env.PKI_BENCH_WINDOW_MS ?? 1000);
const SIGNINGS = Number(process.env.PKI_BENCH_SIGNINGS ?? 100);
const TD = 'bench.local';
const CLIENT = `spiffe://${TD}/ns/default/sa/client`;
const SERVER = `spiffe://${TD}/ns/models/sa/server`;

const log = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `op` back to back for WINDOW_MS; returns completed operations per second. */
async function rate(op: () => Promise<void>): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < WINDOW_MS) {
    await op();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

/** Alternates a and b for ROUNDS windows each; medians of both. */
async function sideBySide(
  name: string,
  a: () => Promise<void>,
  b: () => Promise<void>,
): Promise<[number, number]> {
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ra.push(await rate(a));
    rb.push(await rate(b));
    log(`  ${name} round ${i + 1}/${ROUNDS}: ${ra.at(-1)!.toFixed(0)} vs ${rb.at(-1)!.toFixed(0)} /s`);
  }
  return [median(ra), median(rb)];
}

async function main(): Promise<void> {
  log(`pki bench: ${ROUNDS} rounds of ${WINDOW_MS} ms windows, ${SIGNINGS} signings per round`);
  const ca = await CertificateAuthority.create({ trustDomain: TD, store: new MemoryCaStore() });
  const serving = await issueLocally(ca, SERVER);
  const client = await issueLocally(ca, CLIENT);
  const expectServer = compileAllowList([SERVER]);
  const rows: string[][] = [];
  const json: Record<string, number> = {};

  // 1a. Raw: TCP connect vs TLS 1.3 handshake with client certificate, both to loopback.
  log('handshakes: raw TCP vs mTLS (node:tls)');
  const tcp = netServer((s) => s.end());
  const tls = tlsServer(tlsServerOptions(serving.material), (s) => s.end());
  await Promise.all([tcp, tls].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const tcpPort = (tcp.address() as { port: number }).port;
  const tlsPort = (tls.address() as { port: number }).port;
  const clientTls = { ...tlsClientOptions(client.material, expectServer), host: '127.0.0.1', port: tlsPort };
  const [tcpRate, mtlsRate] = await sideBySide(
    'tcp|mtls',
    () =>
      new Promise<void>((resolve, reject) => {
        const s = netConnect(tcpPort, '127.0.0.1', () => {
          s.destroy();
          resolve();
        });
        s.on('error', reject);
      }),
    () =>
      new Promise<void>((resolve, reject) => {
        const s = tlsConnect(clientTls, () => {
          s.destroy();
          if (s.authorized) resolve();
          else reject(s.authorizationError);
        });
        s.on('error', reject);
      }),
  );
  tcp.close();
  tls.close();
  rows.push(['connect: TCP', tcpRate.toFixed(0), '1.00']);
  rows.push(['connect: TLS 1.3 + client cert', mtlsRate.toFixed(0), (mtlsRate / tcpRate).toFixed(2)]);
  Object.assign(json, { tcpConnectPerSec: tcpRate, mtlsHandshakePerSec: mtlsRate });

  // 1b. gRPC: a new channel and its first unary call, insecure vs mTLS (+ SPIFFE interceptor).
  log('handshakes: new gRPC channel + first call, insecure vs mTLS');
  const plain = await startGrpc(ServerCredentials.createInsecure());
  const secure = await startGrpc(grpcStaticServerCredentials(serving.material), [
    spiffePeerInterceptor(compileAllowList([CLIENT])),
  ]);
  // A local subchannel pool per client forces a new connection (and handshake) every time.
  const opts = { ...CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 };
  const once = async (port: number, creds: ReturnType<typeof credentials.createInsecure>) => {
    const c = new WhoAmIClient(`127.0.0.1:${port}`, creds, opts);
    const out = await unary(c);
    c.close();
    if (!out.ok) throw new Error(`call failed: ${out.details}`);
  };
  const insecureCreds = credentials.createInsecure();
  const mtlsCreds = grpcChannelCredentials(client.material, expectServer);
  const [grpcPlain, grpcMtls] = await sideBySide(
    'grpc plain|mtls',
    () => once(plain.port, insecureCreds),
    () => once(secure.port, mtlsCreds),
  );
  await Promise.all([plain.close(), secure.close()]);
  rows.push(['gRPC channel + 1st call: insecure', grpcPlain.toFixed(0), '1.00']);
  rows.push(['gRPC channel + 1st call: mTLS', grpcMtls.toFixed(0), (grpcMtls / grpcPlain).toFixed(2)]);
  Object.assign(json, { grpcInsecurePerSec: grpcPlain, grpcMtlsPerSec: grpcMtls });

  // 2. CSR signings: full issuance path vs the bare CA signature.
  log(`signings: ${ROUNDS} x ${SIGNINGS} CSRs (CSRs and tokens made beforehand)`);
  const tokens = new BootstrapTokens(new MemoryTokenStore(), TD);
  const issuer = new WorkloadIssuer({ authority: ca, tokens, audit: NULL_AUDIT });
  const full: number[] = [];
  const bare: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const reqs = [];
    for (let i = 0; i < SIGNINGS; i++) {
      const keys = await generateKeyPair(false);
      reqs.push({
        csrPem: await createCsr(keys, [{ type: 'url', value: CLIENT }]),
        token: (await tokens.create(CLIENT)).token,
        keys,
      });
    }
    let t = performance.now();
    for (const q of reqs) await issuer.issue({ csrPem: q.csrPem, token: q.token });
    full.push((SIGNINGS * 1000) / (performance.now() - t));
    const pubs = await Promise.all(reqs.map((q) => x509.PublicKey.create(q.keys.publicKey)));
    t = performance.now();
    for (const p of pubs) await ca.signLeaf(CLIENT, p, 86_400_000);
    bare.push((SIGNINGS * 1000) / (performance.now() - t));
    log(
      `  round ${r + 1}/${ROUNDS}: issue ${full.at(-1)!.toFixed(0)}/s, signLeaf ${bare.at(-1)!.toFixed(0)}/s`,
    );
  }
  rows.push([
    'CSR issue (parse+verify+token+policy+sign)',
    median(full).toFixed(0),
    (median(full) / median(bare)).toFixed(2),
  ]);
  rows.push(['CA signLeaf only', median(bare).toFixed(0), '1.00']);
  Object.assign(json, { csrIssuePerSec: median(full), signLeafPerSec: median(bare) });

  // 3. Trust-bundle build (pure): what a rollover costs before the push to streams.
  log('trust bundle: build time over 2 and 10 roots');
  const roots: string[] = [];
  for (let i = 0; i < 10; i++)
    roots.push((await CaGeneration.create({ trustDomain: TD, now: new Date() })).generation.record.rootPem);
  for (const n of [2, 10]) {
    const us: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const iters = 500;
      const t = performance.now();
      for (let i = 0; i < iters; i++) buildTrustBundle(roots.slice(0, n));
      us.push(((performance.now() - t) * 1000) / iters);
    }
    rows.push([`trust bundle build, ${n} roots (us/build)`, median(us).toFixed(1), '']);
    json[`bundleBuild${n}RootsUs`] = median(us);
  }

  log('');
  log(renderTable(['measure', 'median per second', 'ratio'], rows));
  log(
    `mTLS costs ${(tcpRate / mtlsRate).toFixed(1)}x a TCP connect; a new gRPC channel+call over mTLS runs at ${((grpcMtls / grpcPlain) * 100).toFixed(0)}% of insecure.`,
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'pki.json'),
    JSON.stringify({ rounds: ROUNDS, windowMs: WINDOW_MS, signings: SIGNINGS, ...json }, null, 2),
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
