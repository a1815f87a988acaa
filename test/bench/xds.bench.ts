// Benchmark of the xDS server (docs/XDS.md): N ADS streams (1,000 / 5,000 / 10,000 by default),
// each on its own HTTP/2 connection unless XDS_BENCH_STREAMS_PER_CONN says otherwise, from one
// or more load processes (XDS_BENCH_LOAD_PROCS), against the real XdsServer in its own process.
// Reports server memory per stream and, per change, the time until every stream ACKed it, split
// into when the server wrote each response, when the client read it and when the server read the
// ACK. Goals: <= 40 KB per stream and EDS p99 < 2 s at 50,000 streams; EDS p99 < 1 s at 10,000.
// XDS_BENCH_PROTOCOL=delta: the load client opens incremental (delta) streams instead of SotW
// ones, with the same subscriptions, ACKing each response by its nonce; measured the same way.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from '../../control-plane/cli/table.js';
import { dialectOf } from './xds/dialect.js';
import type { AckReport, ChangeReport, MemSample } from './xds/protocol.js';

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
// XDS_BENCH_CPU_PROF=dir: each server profiles the last window of each change type (past V8's
// warm-up), and so does the first load process, to tell which side the time goes to.
const PROF_DIR = process.env.XDS_BENCH_CPU_PROF;
// XDS_BENCH_BASELINE=dir: a second server from another checkout (with these bench files copied
// into it) gets the same streams and the same changes, taking turns with this one, so that a
// change is measured side by side under the same load. XDS_BENCH_SERVER_ARGS and
// XDS_BENCH_BASELINE_ARGS add node flags to either server (e.g. a GC setting against none).
const BASELINE = process.env.XDS_BENCH_BASELINE;
// Checked here, before any child starts: the load processes read the same variable.
const PROTOCOL = dialectOf().protocol;
const flags = (v: string | undefined) => (v ? v.split(' ').filter(Boolean) : []);

function child(file: string, execArgv: string[], root = join(here, '..', '..'), label = ''): ChildProcess {
  return fork(join(root, 'test', 'bench', 'xds', file), [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, XDS_BENCH_LABEL: label },
    stdio: 'inherit',
    cwd: root,
  });
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
const q = (v: number[]) => `${fmtMs(pct(v, 50))}/${fmtMs(pct(v, 99))}/${fmtMs(v.at(-1) ?? Number.NaN)}`;

interface ServerProc {
  readonly label: string;
  readonly proc: ChildProcess;
  address: string;
  base?: MemSample;
}

interface Window {
  readonly acked: number[];
  readonly written: number[];
  readonly received: number[];
  readonly serverCpuMs: number;
  readonly loadCpuMs: number;
}

/** Opens this server's streams up to `n` over the load processes; returns how many synced. */
async function openStreams(loads: ChildProcess[], srv: ServerProc, n: number) {
  const t0 = performance.now();
  const progress = loads.map(() => ({ synced: 0, failed: 0 }));
  const openedAll = await Promise.all(
    loads.map((load, k) => {
      const onProgress = (m: Record<string, unknown>) => {
        if (!('progress' in m)) return;
        progress[k] = { synced: m.progress as number, failed: m.failed as number };
        const sum = progress.reduce((a, p) => ({ synced: a.synced + p.synced, failed: a.failed + p.failed }));
        process.stdout.write(`\r  ${srv.label}: synced ${sum.synced}  failed ${sum.failed}   `);
      };
      load.on('message', onProgress);
      // Process k holds its share of the n streams; ids do not collide across processes.
      const share = Math.floor(n / LOAD_PROCS) + (k < n % LOAD_PROCS ? 1 : 0);
      return request<{ synced: number; failed: number }>(
        load,
        { cmd: 'open', total: share, firstId: k * 10_000_000, address: srv.address, batch: 250 },
        (m) => 'opened' in m,
      ).finally(() => load.off('message', onProgress));
    }),
  );
  const opened = openedAll.reduce((a, o) => ({ synced: a.synced + o.synced, failed: a.failed + o.failed }));
  process.stdout.write(
    `\r  ${srv.label}: ${opened.synced} more streams synced, ${opened.failed} failed, in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}

/** One change on one server, from publish until every stream ACKed, split into its phases. */
async function measure(
  loads: ChildProcess[],
  srv: ServerProc,
  type: 'EDS' | 'RDS',
  streams: number,
  profile: boolean,
): Promise<Window> {
  const loadCpu = () =>
    Promise.all(loads.map((l) => request<{ cpuMs: number }>(l, { cmd: 'cpu' }, (x) => 'cpuMs' in x)));
  if (profile) await request(loads[0]!, { cmd: 'profile', action: 'start' }, (x) => 'profiling' in x);
  const before = await loadCpu();
  const ch = await request<ChangeReport>(
    srv.proc,
    { cmd: 'change', type, profile },
    (x) => x.changed === type,
  );
  const rep = await request<AckReport>(
    srv.proc,
    { cmd: 'await-acks', type, count: streams, timeoutMs: 60_000 },
    (x) => 'latenciesMs' in x,
  );
  const after = await loadCpu();
  if (profile) {
    const file = join(PROF_DIR!, `load0-${srv.label}-${type}-${streams}.cpuprofile`);
    await request(loads[0]!, { cmd: 'profile', action: 'stop', file }, (x) => 'profiled' in x);
  }
  // The phases of one window: the server wrote the response, the client read it, the server
  // read the ACK (the client ACKs in the handler that read the response).
  const replies = await Promise.all(
    loads.map((l) =>
      request<{ receivedAt: number[] }>(
        l,
        { cmd: 'received', address: srv.address, typeUrl: ch.typeUrl, version: ch.version },
        (x) => 'receivedAt' in x,
      ),
    ),
  );
  const received = replies.flatMap((r) => r.receivedAt.map((at) => at - ch.atEpochMs)).sort((a, b) => a - b);
  const w: Window = {
    acked: rep.latenciesMs.sort((a, b) => a - b),
    written: rep.writtenMs.sort((a, b) => a - b),
    received,
    serverCpuMs: rep.cpuMs,
    loadCpuMs: after.reduce((a, c, k) => a + c.cpuMs - before[k]!.cpuMs, 0),
  };
  process.stdout.write(
    `  ${srv.label} ${type}: ${w.acked.length}/${streams} ACKed, publish call ${fmtMs(ch.publishMs)} ms; p50/p99/max ms after publish: written ${q(w.written)}, received ${q(w.received)}, ACK read ${q(w.acked)}; CPU ms: server ${w.serverCpuMs.toFixed(0)}, load ${w.loadCpuMs.toFixed(0)}\n`,
  );
  return w;
}

async function main() {
  const servers: ServerProc[] = [
    {
      label: 'this',
      proc: child(
        'server-proc.ts',
        ['--expose-gc', ...flags(process.env.XDS_BENCH_SERVER_ARGS)],
        undefined,
        'this',
      ),
      address: '',
    },
  ];
  if (BASELINE)
    servers.push({
      label: 'baseline',
      proc: child(
        'server-proc.ts',
        ['--expose-gc', ...flags(process.env.XDS_BENCH_BASELINE_ARGS)],
        BASELINE,
        'baseline',
      ),
      address: '',
    });
  // Several load processes when one cannot hold every connection (its file descriptors).
  const loads = Array.from({ length: LOAD_PROCS }, () =>
    child('load-proc.ts', ['--max-old-space-size=8192']),
  );
  for (const srv of servers) {
    const { port } = await request<{ port: number }>(srv.proc, null, (m) => m.ready === true);
    srv.address = `127.0.0.1:${port}`;
  }
  await Promise.all(loads.map((l) => request(l, null, (m) => m.ready === true)));
  const mem = (srv: ServerProc) => request<MemSample>(srv.proc, { cmd: 'mem' }, (m) => 'rss' in m);
  for (const srv of servers) {
    srv.base = await mem(srv);
    process.stdout.write(
      `${srv.label} server baseline: rss ${(srv.base.rss / 2 ** 20).toFixed(1)} MiB, heap ${(srv.base.heapUsed / 2 ** 20).toFixed(1)} MiB\n`,
    );
  }

  const rows: string[][] = [];
  const results: unknown[] = [];
  for (const n of STEPS) {
    process.stdout.write(`opening streams up to ${n} per server ...\n`);
    for (const srv of servers) await openStreams(loads, srv, n);
    await new Promise((r) => setTimeout(r, 1000));
    const perServer = new Map<ServerProc, { m: MemSample; windows: Record<string, Window[]> }>();
    for (const srv of servers) {
      const m = await mem(srv);
      if (HEAP_DIR) {
        const file = join(HEAP_DIR, `server-${srv.label}-${m.streams}.heapsnapshot`);
        await request(srv.proc, { cmd: 'heap', file }, (x) => 'heap' in x);
        process.stdout.write(`  heap snapshot: ${file}\n`);
      }
      perServer.set(srv, { m, windows: {} });
    }
    // The servers take turns on every change, so both see the same machine load.
    for (const [i, type] of CHANGES.entries()) {
      for (const srv of servers) {
        const streams = perServer.get(srv)!.m.streams;
        const profile = PROF_DIR !== undefined && CHANGES.lastIndexOf(type) === i;
        const w = await measure(loads, srv, type, streams, profile);
        const windows = perServer.get(srv)!.windows;
        windows[type] = [...(windows[type] ?? []), w];
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    for (const srv of servers) {
      const { m, windows } = perServer.get(srv)!;
      const base = srv.base!;
      const perRss = (m.rss - base.rss) / m.streams;
      const perHeap = (m.heapUsed + m.external - base.heapUsed - base.external) / m.streams;
      // The first EDS change pays V8's warm-up; the last one is the steady state.
      const eds = windows.EDS ?? [];
      const e = eds.at(-1);
      const r = windows.RDS?.at(-1);
      rows.push([
        srv.label,
        String(m.streams),
        kb(perRss),
        kb(perHeap),
        e ? `${e.acked.length}/${m.streams}` : '-',
        fmtMs(pct(eds[0]?.acked ?? [], 99)),
        fmtMs(pct(e?.acked ?? [], 50)),
        fmtMs(pct(e?.acked ?? [], 99)),
        fmtMs(pct(e?.written ?? [], 99)),
        fmtMs(e?.acked.at(-1) ?? Number.NaN),
        e ? e.serverCpuMs.toFixed(0) : '-',
        fmtMs(pct(r?.acked ?? [], 50)),
        fmtMs(pct(r?.acked ?? [], 99)),
      ]);
      results.push({
        server: srv.label,
        protocol: PROTOCOL,
        streams: m.streams,
        rssPerStreamBytes: perRss,
        heapPerStreamBytes: perHeap,
        eds: eds.map((w) => ({ ...w })),
        rds: windows.RDS ?? [],
        mem: m,
      });
    }
  }
  await Promise.all(loads.map((l) => request(l, { cmd: 'close' }, (m) => m.closed === true)));
  for (const srv of servers) srv.proc.kill('SIGINT');
  for (const l of loads) l.kill();

  process.stdout.write(
    `\nxDS server, ${PROTOCOL} streams: memory per stream and convergence (server clock, publish -> ACK)\n`,
  );
  process.stdout.write(
    renderTable(
      [
        'server',
        'streams',
        'rss KB/stream',
        'heap KB/stream',
        'EDS acked',
        'first EDS p99 ms',
        'EDS p50 ms',
        'EDS p99 ms',
        'EDS p99 written ms',
        'EDS max ms',
        'EDS server CPU ms',
        'RDS p50 ms',
        'RDS p99 ms',
      ],
      rows,
    ),
  );
  process.stdout.write(
    'goals: <= 40 KB/stream and EDS p99 < 2000 ms at 50,000 streams; EDS p99 < 1000 ms at 10,000\n',
  );
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'xds.json'), JSON.stringify(results));
}

await main();
