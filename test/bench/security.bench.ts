// Benchmark of mTLS delivery (docs/SECURITY.md, "Delivery"), one process and one run, side by side:
//  1. pod handshakes: real `switchyard pod` processes (DISABLE, STRICT, PERMISSIVE), each
//     measured as "new connection + first call" (gRPC ServerLive on a fresh channel, HTTP GET
//     /v2/health/live on a fresh connection), variants alternating window by window so all see
//     the same machine load; 4 callers in flight;
//  2. CSR signings: the issuer in-process (token), and over the control plane's admin HTTPS
//     with the current certificate as proof (a renewal, the steady state), keep-alive;
//  3. trust-bundle push: a CA change (prepare, then drop) until every connected SDS stream
//     (raw mTLS ADS clients) holds the new bundle, for 100 and 1,000 streams.
// Medians over ROUNDS; `npx tsx test/bench/run.ts security`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { renderTable } from '../../control-plane/cli/table.js';
import { createCsr, issueLocally, writeMaterial } from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  generateKeyPair,
  grpcChannelCredentials,
  tlsClientOptions,
} from '../../kernel/tls/index.js';
import { modelRepoCopy } from '../dataplane/harness.js';
import { CHANNEL_OPTIONS } from '../helpers/pki.js';
import { id, securityCa, startSecureControlPlane } from '../security/helpers.js';
import { KServe, serverLive } from '../security/xds-pod-client.js';
import { bundlePush } from './security/bundle-push.js';

const ROUNDS = Number(process.env.SECURITY_BENCH_ROUNDS ?? 5);
const WINDOW_MS = Number(process.env.SECURITY_BENCH_WINDOW_MS ?? 1000);
const CONCURRENCY = Number(process.env.SECURITY_BENCH_CONCURRENCY ?? 4);
const SIGNINGS = Number(process.env.SECURITY_BENCH_SIGNINGS ?? 100);
/** Streams x identities: `1000x100` is 1,000 streams of 100 identities (100 SDS groups). */
const STREAMS = (process.env.SECURITY_BENCH_STREAMS ?? '100x10,1000x10,1000x100').split(',').map((s) => {
  const [n, k] = s.split('x').map(Number);
  return { n: n!, identities: k ?? Math.min(10, n!) };
});
const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));
const POD = id('models', 'affine');
const CLIENT = id('apps', 'frontend');

const log = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `op` with CONCURRENCY callers for WINDOW_MS; completed operations per second. */
async function rate(op: () => Promise<void>): Promise<number> {
  const start = performance.now();
  let n = 0;
  const caller = async () => {
    while (performance.now() - start < WINDOW_MS) {
      await op();
      n++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  return (n * 1000) / (performance.now() - start);
}

/** Every variant once per round, in turn; the median of each. */
async function alternate(name: string, variants: Record<string, () => Promise<void>>) {
  const runs: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, op] of Object.entries(variants)) runs[k]!.push(await rate(op));
    log(
      `  ${name} round ${r + 1}/${ROUNDS}: ${Object.entries(runs)
        .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(0)}/s`)
        .join(', ')}`,
    );
  }
  return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
}

interface PodProcess {
  readonly child: ChildProcess;
  readonly grpc: number;
  readonly http: number;
}

function startPod(repo: string, extra: string[]): Promise<PodProcess> {
  const args = [
    BIN,
    'pod',
    '--model-repo',
    repo,
    '--http-port',
    '0',
    '--grpc-port',
    '0',
    '--metrics-port',
    '0',
  ];
  const child = spawn(process.execPath, [...args, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`pod did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /serving .*http (\d+), grpc (\d+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve({ child, http: Number(m[1]), grpc: Number(m[2]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`pod exited ${code}: ${err}`)));
  });
}

function once<T>(make: () => T & { close(): void }, call: (c: T) => Promise<{ ok: boolean }>) {
  return async () => {
    const c = make();
    const out = await call(c);
    c.close();
    if (!out.ok) throw new Error(`call failed: ${JSON.stringify(out)}`);
  };
}

function httpGet(port: number, tls?: ReturnType<typeof tlsClientOptions>): Promise<void> {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, path: '/v2/health/live', agent: false as const };
    const req = tls ? request({ ...opts, ...tls }, done) : httpRequest(opts, done);
    function done(res: IncomingMessage) {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
      );
    }
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  log(`security bench: ${ROUNDS} rounds of ${WINDOW_MS} ms windows, ${CONCURRENCY} callers in flight`);
  const sca = await securityCa();
  // Subscribed before the control plane: listeners run in order, so this stamps the change
  // before the xDS side starts pushing it.
  const changedAt = { at: 0 };
  sca.ca.onChange(() => {
    changedAt.at = performance.now();
  });
  const rows: string[][] = [];
  const json: Record<string, unknown> = {};
  const tmp = mkdtempSync(join(tmpdir(), 'sy-sec-bench-'));
  const repo = await modelRepoCopy(['affine']);
  const pods: PodProcess[] = [];
  try {
    // 1. Pod handshakes.
    const podDir = join(tmp, 'pod');
    await writeMaterial(podDir, (await issueLocally(sca.ca, POD)).material);
    const client = (await issueLocally(sca.ca, CLIENT)).material;
    log('starting pods: DISABLE, STRICT, PERMISSIVE');
    const [plain, strict, permissive] = await Promise.all([
      startPod(repo.dir, []),
      startPod(repo.dir, ['--tls-dir', podDir, '--mtls', 'STRICT', '--allow-client', CLIENT]),
      startPod(repo.dir, ['--tls-dir', podDir, '--mtls', 'PERMISSIVE', '--allow-client', CLIENT]),
    ]);
    pods.push(plain!, strict!, permissive!);
    const mtlsCreds = grpcChannelCredentials(client, compileAllowList([POD]));
    const insecure = credentials.createInsecure();
    const fresh = { ...CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 };
    const grpcOnce = (port: number, creds: typeof insecure) =>
      once(
        () => new KServe(`127.0.0.1:${port}`, creds, fresh),
        (c) => serverLive(c),
      );
    log('pod handshakes: new gRPC channel + ServerLive');
    const g = await alternate('grpc', {
      plaintext: grpcOnce(plain!.grpc, insecure),
      strict: grpcOnce(strict!.grpc, mtlsCreds),
      'permissive-plain': grpcOnce(permissive!.grpc, insecure),
      'permissive-mtls': grpcOnce(permissive!.grpc, mtlsCreds),
    });
    const clientTls = tlsClientOptions(client, compileAllowList([POD]));
    log('pod handshakes: new HTTP connection + GET /v2/health/live');
    const h = await alternate('http', {
      plaintext: () => httpGet(plain!.http),
      strict: () => httpGet(strict!.http, clientTls),
    });
    rows.push(['pod gRPC: new channel + call, plaintext (DISABLE), /s', g.plaintext!.toFixed(0), '1.00']);
    rows.push([
      'pod gRPC: new channel + call, mTLS (STRICT), /s',
      g.strict!.toFixed(0),
      (g.strict! / g.plaintext!).toFixed(2),
    ]);
    rows.push([
      'pod gRPC: PERMISSIVE port, plaintext client, /s',
      g['permissive-plain']!.toFixed(0),
      (g['permissive-plain']! / g.plaintext!).toFixed(2),
    ]);
    rows.push([
      'pod gRPC: PERMISSIVE port, mTLS client, /s',
      g['permissive-mtls']!.toFixed(0),
      (g['permissive-mtls']! / g.plaintext!).toFixed(2),
    ]);
    rows.push(['pod HTTP: new connection + GET, plaintext, /s', h.plaintext!.toFixed(0), '1.00']);
    rows.push([
      'pod HTTP: new connection + GET, mTLS (STRICT), /s',
      h.strict!.toFixed(0),
      (h.strict! / h.plaintext!).toFixed(2),
    ]);
    json.podHandshakesPerSec = { grpc: g, http: h };
    for (const p of pods) p.child.kill('SIGKILL');

    // 2. CSR signings.
    log(
      `signings: ${ROUNDS} x ${SIGNINGS} CSRs, in-process (token) and over admin HTTPS (certificate proof)`,
    );
    const f = await startSecureControlPlane(sca, {});
    try {
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
      const renewTls = tlsClientOptions(
        client,
        compileAllowList([`spiffe://${sca.ca.trustDomain}/ns/switchyard-system/sa/control-plane`]),
      );
      const local: number[] = [];
      const remote: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const csrs: string[] = [];
        const tokens: string[] = [];
        for (let i = 0; i < SIGNINGS; i++) {
          csrs.push(await createCsr(await generateKeyPair(false), [{ type: 'url', value: CLIENT }]));
          tokens.push((await sca.tokens.create(CLIENT)).token);
        }
        let t = performance.now();
        for (let i = 0; i < SIGNINGS; i++) await sca.issuer.issue({ csrPem: csrs[i]!, token: tokens[i]! });
        local.push((SIGNINGS * 1000) / (performance.now() - t));
        t = performance.now();
        for (const csr of csrs) await postCsr(f.cp.adminPort, csr, renewTls, keepAlive);
        remote.push((SIGNINGS * 1000) / (performance.now() - t));
        log(
          `  round ${r + 1}/${ROUNDS}: in-process ${local.at(-1)!.toFixed(0)}/s, admin HTTPS ${remote.at(-1)!.toFixed(0)}/s`,
        );
      }
      keepAlive.destroy();
      rows.push(['CSR issue in-process (token), /s', median(local).toFixed(0), '1.00']);
      rows.push([
        'CSR issue over admin HTTPS (mTLS renewal), /s',
        median(remote).toFixed(0),
        (median(remote) / median(local)).toFixed(2),
      ]);
      json.csrPerSec = { inProcess: median(local), adminHttps: median(remote) };

      // 3. Trust-bundle push to every connected SDS stream.
      for (const { n, identities } of STREAMS) {
        log(`bundle push: ${n} SDS streams over ${identities} identities (one connection each)`);
        const ms = await bundlePush(f, sca, changedAt, n, identities, ROUNDS, log);
        rows.push([
          `bundle change -> ${n} SDS streams, ${identities} identities, ms (last/median/server)`,
          `${median(ms.last).toFixed(1)} / ${median(ms.median).toFixed(1)} / ${median(ms.server).toFixed(1)}`,
          '',
        ]);
        json[`bundlePush${n}x${identities}`] = {
          identities,
          lastMs: median(ms.last),
          medianMs: median(ms.median),
          serverMs: median(ms.server),
        };
      }
    } finally {
      await f.close();
    }
  } finally {
    for (const p of pods) p.child.kill('SIGKILL');
    await repo.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
  log('');
  log(renderTable(['measure', 'median', 'ratio'], rows));
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'security.json'),
    JSON.stringify(
      { rounds: ROUNDS, windowMs: WINDOW_MS, concurrency: CONCURRENCY, signings: SIGNINGS, ...json },
      null,
      2,
    ),
  );
}

function postCsr(
  port: number,
  csr: string,
  tls: ReturnType<typeof tlsClientOptions>,
  agent: Agent,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ csr });
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/certificates',
        method: 'POST',
        agent,
        ...tls,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`CSR answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
