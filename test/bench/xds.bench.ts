// Benchmark of the xDS server (docs/XDS.md): N ADS streams (1,000 / 5,000 / 10,000 by default),
// each on its own HTTP/2 connection unless XDS_BENCH_STREAMS_PER_CONN says otherwise, from one
// or more load processes (XDS_BENCH_LOAD_PROCS), against the real XdsServer in its own process. Reports server
// memory per stream and the time until every stream ACKed an EDS change and an RDS change.
// Goals: 10,000 streams on 2 cores; <= 100 KB per stream; EDS p99 < 1 s at 10,000 streams.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from '../../control-plane/cli/table.js';
import type { AckReport, MemSample } from './xds/protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
const STEPS = (process.env.XDS_BENCH_STEPS ?? '1000,5000,10000').split(',').map(Number);
// A warm-up EDS change first: the first push after the streams connected pays V8's warm-up and
// the heap's growth, which a long-running server has long paid.
// Load generator processes, and (in load-proc.ts) ADS streams per HTTP/2 connection: together
// they keep each process under its file-descriptor limit at 50,000 streams.
const LOAD_PROCS = Math.max(1, Number(process.env.XDS_BENCH_LOAD_PROCS ?? 1));
// XDS_BENCH_HEAP_DIR=dir: a heap snapshot of the server after each step's streams synced.
const HEAP_DIR = process.env.XDS_BENCH_HEAP_DIR;
const CHANGES = (process.env.XDS_BENCH_CHANGES ?? 'EDS,EDS,RDS').split(',') as Array<'EDS' | 'RDS'>;

function child(file: string, execArgv: string[]): ChildProcess {
  return fork(join(here, 'xds', file), [], { execArgv: ['--import', 'tsx', ...execArgv], stdio: 'inherit' });
}

function request<T>(
  proc: ChildProcess,
  msg: unknown,
  accept: (m: Record<string, unknown>) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (!accept(m)) return;
      proc.off('message', on);
      resolve(m as T);
    };
    proc.on('message', on);
    if (msg) proc.send(msg as never);
  });
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmtMs = (v: number) => (Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)}`;

async function main() {
  const server = child('server-proc.ts', ['--expose-gc']);
  // Several load processes when one cannot hold every connection (its file descriptors).
  const loads = Array.from({ length: LOAD_PROCS }, () =>
    child('load-proc.ts', ['--max-old-space-size=8192']),
  );
  const { port } = await request<{ port: number }>(server, null, (m) => m.ready === true);
  await Promise.all(loads.map((l) => request(l, null, (m) => m.ready === true)));
  const address = `127.0.0.1:${port}`;
  const mem = () => request<MemSample>(server, { cmd: 'mem' }, (m) => 'rss' in m);
  const base = await mem();
  process.stdout.write(
    `server baseline: rss ${(base.rss / 2 ** 20).toFixed(1)} MiB, heap ${(base.heapUsed / 2 ** 20).toFixed(1)} MiB\n`,
  );

  const rows: string[][] = [];
  const results: unknown[] = [];
  for (const n of STEPS) {
    process.stdout.write(`opening streams up to ${n} ...\n`);
    const t0 = performance.now();
    const progress = loads.map(() => ({ synced: 0, failed: 0 }));
    const openedAll = await Promise.all(
      loads.map((load, k) => {
        const onProgress = (m: Record<string, unknown>) => {
          if (!('progress' in m)) return;
          progress[k] = { synced: m.progress as number, failed: m.failed as number };
          const sum = progress.reduce((a, p) => ({
            synced: a.synced + p.synced,
            failed: a.failed + p.failed,
          }));
          process.stdout.write(`\r  synced ${sum.synced}/${n}  failed ${sum.failed}   `);
        };
        load.on('message', onProgress);
        // Process k holds its share of the n streams; ids do not collide across processes.
        const share = Math.floor(n / LOAD_PROCS) + (k < n % LOAD_PROCS ? 1 : 0);
        return request<{ synced: number; failed: number }>(
          load,
          { cmd: 'open', total: share, firstId: k * 10_000_000, address, batch: 250 },
          (m) => 'opened' in m,
        ).finally(() => load.off('message', onProgress));
      }),
    );
    const opened = openedAll.reduce((a, o) => ({ synced: a.synced + o.synced, failed: a.failed + o.failed }));
    process.stdout.write(
      `\r  ${opened.synced} streams synced, ${opened.failed} failed, in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const m = await mem();
    if (HEAP_DIR) {
      const file = join(HEAP_DIR, `server-${opened.synced}.heapsnapshot`);
      await request(server, { cmd: 'heap', file }, (x) => 'heap' in x);
      process.stdout.write(`  heap snapshot: ${file}\n`);
    }
    const perRss = (m.rss - base.rss) / n;
    const perHeap = (m.heapUsed + m.external - base.heapUsed - base.external) / n;
    const conv: Record<string, number[]> = {};
    for (const type of CHANGES) {
      const ch = await request<{ publishMs: number; publishCpuMs: number }>(
        server,
        { cmd: 'change', type },
        (x) => x.changed === type,
      );
      const rep = await request<AckReport>(
        server,
        { cmd: 'await-acks', type, count: opened.synced, timeoutMs: 60_000 },
        (x) => 'latenciesMs' in x,
      );
      const s = rep.latenciesMs.sort((a, b) => a - b);
      if (conv[type] && !conv[`${type}-first`]) conv[`${type}-first`] = conv[type];
      conv[type] = s;
      process.stdout.write(
        `  ${type} change: ${s.length}/${rep.expected} ACKed, publish call ${fmtMs(ch.publishMs)} ms (streams are served in slices after it), p50 ${fmtMs(pct(s, 50))} ms, p99 ${fmtMs(pct(s, 99))} ms, max ${fmtMs(s.at(-1) ?? Number.NaN)} ms\n`,
      );
      await new Promise((r) => setTimeout(r, 500));
    }
    // A run without an EDS or RDS change (XDS_BENCH_CHANGES) reports that column empty.
    const e = conv.EDS ?? [];
    const r = conv.RDS ?? [];
    const e0 = conv['EDS-first'] ?? e;
    rows.push([
      String(opened.synced),
      kb(perRss),
      kb(perHeap),
      `${e.length}/${opened.synced}`,
      fmtMs(pct(e0, 99)),
      fmtMs(pct(e, 50)),
      fmtMs(pct(e, 99)),
      fmtMs(e.at(-1) ?? Number.NaN),
      fmtMs(pct(r, 50)),
      fmtMs(pct(r, 99)),
      fmtMs(r.at(-1) ?? Number.NaN),
    ]);
    results.push({
      streams: opened.synced,
      rssPerStreamBytes: perRss,
      heapPerStreamBytes: perHeap,
      eds: e,
      rds: r,
      mem: m,
    });
  }
  await Promise.all(loads.map((l) => request(l, { cmd: 'close' }, (m) => m.closed === true)));
  server.kill('SIGINT');
  for (const l of loads) l.kill();

  process.stdout.write('\nxDS server: memory per stream and convergence (server clock, publish -> ACK)\n');
  process.stdout.write(
    renderTable(
      [
        'streams',
        'rss KB/stream',
        'heap KB/stream',
        'EDS acked',
        'first EDS p99 ms',
        'EDS p50 ms',
        'EDS p99 ms',
        'EDS max ms',
        'RDS p50 ms',
        'RDS p99 ms',
        'RDS max ms',
      ],
      rows,
    ),
  );
  process.stdout.write(
    'goals: <= 100 KB/stream (Istio 1.3-2 MB per proxy, Kuma ~1 MB); EDS p99 < 1000 ms at 10,000 streams\n',
  );
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'xds.json'), JSON.stringify(results));
}

await main();
