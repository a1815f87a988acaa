// Benchmark of endpoint discovery and adaptive routing (docs/ENDPOINTS.md), in two parts:
//  1. Heartbeat ingestion: 10,000 simulated pods at 1 Hz (a separate process, one NATS
//     connection) against one control-plane process. Reports its CPU (share of one core) and
//     memory, heartbeats accepted per second, and the EDS pushes per second after coalescing.
//     Goal: under half of one core.
//  2. Side by side: 4 real `switchyard pod` processes, one 4x slower (--inject-delay-ms), under
//     steady closed-loop load from grpc-js-xds clients (6 callers: the fast pods keep headroom;
//     16: every pod queues), in four modes, alternated, each run several times: round robin
//     (--weights equal), the control plane's adaptive weights (--weights adaptive), ORCA load
//     reports with client-side weighted_round_robin (`proxylessBalancing: { mode: orca }`), and
//     the clients' least-load policy over per-call reports (`mode: least-load`, the clients
//     registered it). Reports throughput against the capacity-proportional optimum and against
//     the capacity measured first (every pod saturated by its own direct callers at once), and
//     p99 against round robin; goals: >= 90 % of the optimum and p99 at most a third of round
//     robin's. Medians.
// `npx tsx test/bench/run.ts endpoints`; ENDPOINTS_BENCH_PODS, ENDPOINTS_BENCH_REPS,
// ENDPOINTS_BENCH_CALLERS (6,16), ENDPOINTS_BENCH_MODES (equal,adaptive,orca,least) and
// ENDPOINTS_BENCH_PARTS (ingest,routing) change the size.
import '../helpers/xds-env.js';
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from '../../control-plane/cli/table.js';
import { registerLeastLoad } from '../../kernel/grpc/least-load/index.js';
import { modelRepoCopy } from '../dataplane/harness.js';
import { podUser } from '../endpoints/harness.js';
import {
  affineRequest,
  InferenceCaller,
  LoadGenerator,
  summarize,
  XdsInferenceClient,
} from '../endpoints/load.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freePorts } from '../helpers/ports.js';
import { metric, type PodProc, procUsage, scrape, startControlPlane, startPod } from './endpoints/procs.js';
import { modelName, type SimStart } from './endpoints/sim-proc.js';

const here = dirname(fileURLToPath(import.meta.url));
const PODS = Number(process.env.ENDPOINTS_BENCH_PODS ?? 10_000);
const MODELS = 100;
const REPS = Number(process.env.ENDPOINTS_BENCH_REPS ?? 3);
const PARTS = (process.env.ENDPOINTS_BENCH_PARTS ?? 'ingest,routing').split(',');
const WINDOWS = 6;
const WINDOW_MS = 5000;
const FAST_MS = 20;
const SLOW_MS = 4 * FAST_MS;
// Moderate load (the fast pods have headroom) and saturation (every pod queues).
const CALLERS = (process.env.ENDPOINTS_BENCH_CALLERS ?? '6,16').split(',').map(Number);
const ALL_MODES = ['equal', 'adaptive', 'orca', 'least'] as const;
type Mode = (typeof ALL_MODES)[number];
const MODES = (process.env.ENDPOINTS_BENCH_MODES ?? ALL_MODES.join(',')).split(',') as Mode[];
for (const m of MODES)
  if (!ALL_MODES.includes(m)) {
    process.stderr.write(`ENDPOINTS_BENCH_MODES: unknown mode '${m}' (one of ${ALL_MODES.join(', ')})\n`);
    process.exit(2);
  }
const MODE_NAME: Record<Mode, string> = {
  equal: 'round robin (equal)',
  adaptive: 'adaptive weights',
  orca: 'ORCA + client WRR',
  least: 'least load (per call)',
};
// What 4 pods serving one request at a time can do at most: each at its own pace.
const OPTIMUM_RPS = 3 * (1000 / FAST_MS) + 1000 / SLOW_MS;
const WARMUP_MS = 8000;
const MEASURE_MS = 12_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(`${s}\n`);
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function policyDir(models: readonly string[], extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-policies-'));
  const docs = models.map(
    (m) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${m}, namespace: default }
spec:
  model: ${m}
  mtls: DISABLE
  versions: [{ name: "1" }]
${extra}`,
  );
  writeFileSync(join(dir, 'routes.yaml'), docs.join('---\n'));
  return dir;
}

interface IngestWindow {
  cpuPct: number;
  rssMiB: number;
  heartbeatsPerS: number;
  pushesPerS: number;
  savedPerS: number;
}

async function ingestion(): Promise<{ windows: IngestWindow[]; median: IngestWindow }> {
  say(`\n-- heartbeat ingestion: ${PODS} simulated pods at 1 Hz, ${MODELS} models --`);
  const nats = await NatsServer.start();
  const dir = policyDir(Array.from({ length: MODELS }, (_, i) => modelName(i)));
  const cp = await startControlPlane({ policyDir: dir, nats: nats.url, ...credentials(nats) });
  const pid = cp.child.pid!;
  const sim = fork(join(here, 'endpoints', 'sim-proc.ts'), [], { execArgv: ['--import', 'tsx'] });
  const start: SimStart = { cmd: 'start', url: nats.url, ...credentials(nats), pods: PODS, models: MODELS };
  const simReady = new Promise((r) => sim.once('message', r));
  sim.send(start);
  await simReady;
  try {
    const t0 = Date.now();
    for (;;) {
      const text = await scrape(cp.admin);
      const healthy = metric(text, 'switchyard_endpoints', 'state="HEALTHY"');
      process.stdout.write(
        `\r  ${healthy}/${PODS} endpoints healthy after ${((Date.now() - t0) / 1000).toFixed(0)} s `,
      );
      if (healthy >= PODS) break;
      if (Date.now() - t0 > 120_000) throw new Error(`only ${healthy} endpoints after 120 s\n${cp.output()}`);
      await sleep(1000);
    }
    say('');
    await sleep(5000);
    const windows: IngestWindow[] = [];
    for (let w = 0; w < WINDOWS; w++) {
      const u0 = procUsage(pid);
      const m0 = await scrape(cp.admin);
      const t = performance.now();
      await sleep(WINDOW_MS);
      const u1 = procUsage(pid);
      const m1 = await scrape(cp.admin);
      const s = (performance.now() - t) / 1000;
      const delta = (name: string, labels = '') => (metric(m1, name, labels) - metric(m0, name, labels)) / s;
      const row: IngestWindow = {
        cpuPct: (100 * (u1.cpuS - u0.cpuS)) / s,
        rssMiB: u1.rssBytes / 2 ** 20,
        heartbeatsPerS: delta('switchyard_endpoint_messages_total', 'kind="heartbeat"'),
        pushesPerS: delta('switchyard_endpoint_pushes_total'),
        savedPerS: delta('switchyard_debounce_pushes_saved_total', 'source="endpoints"'),
      };
      windows.push(row);
      say(
        `  window ${w + 1}/${WINDOWS}: cpu ${row.cpuPct.toFixed(1)}% of a core, rss ${row.rssMiB.toFixed(0)} MiB, ` +
          `${row.heartbeatsPerS.toFixed(0)} heartbeats/s, ${row.pushesPerS.toFixed(2)} pushes/s, ` +
          `${row.savedPerS.toFixed(1)} merged/s`,
      );
    }
    const med = (k: keyof IngestWindow) => median(windows.map((x) => x[k]));
    return {
      windows,
      median: {
        cpuPct: med('cpuPct'),
        rssMiB: med('rssMiB'),
        heartbeatsPerS: med('heartbeatsPerS'),
        pushesPerS: med('pushesPerS'),
        savedPerS: med('savedPerS'),
      },
    };
  } finally {
    sim.kill();
    await cp.stop();
    await nats.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

function credentials(nats: NatsServer, user = 'admin') {
  const c = nats.credentials(user);
  return { user: c.user, pass: c.pass };
}

interface RoutingRun {
  callers: number;
  mode: Mode;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  slowShare: number;
}

async function servedByPod(pods: readonly PodProc[]): Promise<number[]> {
  return Promise.all(
    pods.map(async (p) =>
      metric(
        await scrape(`http://127.0.0.1:${p.metricsPort}`),
        'switchyard_pod_inference_requests_total',
        'outcome="success"',
      ),
    ),
  );
}

/**
 * What the 4 pods serve at most on this machine, as opposed to on paper: every pod saturated at
 * once by its own direct callers (no balancing), the sum of their rates. Injected delays and
 * one call at a time are not all a pod spends per call: gRPC, decoding and a shared CPU add to it.
 */
async function measuredCapacity(nats: NatsServer, dir: string, pods: readonly PodProc[]): Promise<number> {
  // A control plane only for the pods' access rules: without them a pod refuses every call.
  const cp = await startControlPlane({ policyDir: dir, nats: nats.url, ...credentials(nats) });
  const callers = pods.map((p) => new InferenceCaller(`127.0.0.1:${p.grpcPort}`));
  try {
    for (const t0 = Date.now(); ; await sleep(200)) {
      const codes = await Promise.all(callers.map((c) => c.infer(affineRequest())));
      if (codes.every((c) => c === null)) break;
      if (Date.now() - t0 > 60_000) throw new Error(`pods refuse calls: ${codes.join(',')}`);
    }
    const loads = callers.map((c) => new LoadGenerator([c]));
    for (const l of loads) l.start(3);
    await sleep(2000);
    const from = performance.now();
    await sleep(8000);
    const to = performance.now();
    const rates = (await Promise.all(loads.map((l) => l.stop()))).map(
      (calls) => summarize(calls, from, to).throughputRps,
    );
    say(
      `  measured capacity: ${rates.map((r) => r.toFixed(1)).join(' + ')} = ${rates.reduce((a, b) => a + b, 0).toFixed(1)} rps (each pod saturated by 3 direct callers, all at once)`,
    );
    return rates.reduce((a, b) => a + b, 0);
  } finally {
    for (const c of callers) c.close();
    await cp.stop();
  }
}

async function routing(): Promise<{ runs: RoutingRun[]; capacityRps: number }> {
  say(
    `\n-- side by side: 4 pods (3 x ${FAST_MS} ms, 1 x ${SLOW_MS} ms), ${CALLERS.join(' and ')} callers, ` +
      `${REPS} runs per mode, ${WARMUP_MS / 1000} s warm-up + ${MEASURE_MS / 1000} s measured --`,
  );
  const ids = ['pod-a', 'pod-b', 'pod-c', 'pod-slow'];
  // The suites' pod users: a pod that cannot subscribe to its access rules refuses every call.
  const nats = await NatsServer.start({ users: ids.map(podUser) });
  const repo = await modelRepoCopy(['affine']);
  const dirs: Record<Mode, string> = {
    equal: policyDir(['affine']),
    adaptive: policyDir(['affine']),
    orca: policyDir(['affine'], '  proxylessBalancing: { mode: orca }\n'),
    least: policyDir(['affine'], '  proxylessBalancing: { mode: least-load }\n'),
  };
  const pods: PodProc[] = [];
  const runs: RoutingRun[] = [];
  let capacityRps = Number.NaN;
  try {
    for (const id of ids) {
      const ports = (await freePorts(3)) as [number, number, number];
      // biome-ignore format: one flag per line reads better
      pods.push(startPod({
        id, repo: repo.dir, nats: nats.url, ...credentials(nats, id), ports,
        extra: [
          '--inject-delay-ms', String(id === 'pod-slow' ? SLOW_MS : FAST_MS),
          '--heartbeat-interval', '500ms',
          '--stats-window', '2s',
        ],
      }));
    }
    capacityRps = await measuredCapacity(nats, dirs.equal, pods);
    for (const callers of CALLERS)
      for (let rep = 0; rep < REPS; rep++)
        for (const mode of MODES) runs.push(await routingRun(callers, mode, rep, nats, dirs[mode], pods));
  } finally {
    await Promise.all(pods.map((p) => p.stop()));
    await nats.cleanup();
    await repo.cleanup();
    for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
  }
  return { runs, capacityRps };
}

async function routingRun(
  callers: number,
  mode: Mode,
  rep: number,
  nats: NatsServer,
  dir: string,
  pods: readonly PodProc[],
): Promise<RoutingRun> {
  const cp = await startControlPlane({
    policyDir: dir,
    nats: nats.url,
    ...credentials(nats),
    extra: ['--weights', mode === 'equal' ? 'equal' : 'adaptive'],
  });
  const clients: XdsInferenceClient[] = [];
  try {
    const t0 = Date.now();
    for (;;) {
      const text = await scrape(cp.admin);
      if (metric(text, 'switchyard_endpoints', 'state="HEALTHY"') >= pods.length) break;
      if (Date.now() - t0 > 60_000) throw new Error(`pods not registered\n${cp.output()}`);
      await sleep(200);
    }
    for (let i = 0; i < 4; i++)
      clients.push(new XdsInferenceClient(cp.xds, 'affine', `bench-${mode}-${rep}-${i}`));
    await Promise.all(clients.map((c) => c.infer(affineRequest())));
    const load = new LoadGenerator(clients);
    load.start(callers);
    await sleep(WARMUP_MS);
    const from = performance.now();
    const before = await servedByPod(pods);
    await sleep(MEASURE_MS);
    const after = await servedByPod(pods);
    const to = performance.now();
    const view = (await (await fetch(`${cp.admin}/api/v1/endpoints`)).json()) as {
      endpoints: Array<{ podId: string; effectiveWeight?: number; p99Ms?: number; queue?: number }>;
    };
    const calls = await load.stop();
    const s = summarize(calls, from, to);
    const served = after.map((n, i) => n - before[i]!);
    const total = served.reduce((a, b) => a + b, 0);
    const run: RoutingRun = {
      callers,
      mode,
      rps: s.throughputRps,
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      failures: s.failures,
      slowShare: total ? served[3]! / total : 0,
    };
    say(
      `  ${callers} callers, run ${rep + 1} ${mode.padEnd(8)}: ${run.rps.toFixed(0)} rps, p50 ${run.p50Ms.toFixed(1)} ms, ` +
        `p99 ${run.p99Ms.toFixed(1)} ms, ${run.failures} failed, slow pod share ${(100 * run.slowShare).toFixed(1)}%`,
    );
    say(
      `    per pod: served ${served.join('/')}; weight, pod p99 ms, queue: ${view.endpoints
        .map((e) => `${e.podId} ${e.effectiveWeight ?? '-'} ${e.p99Ms?.toFixed(0) ?? '-'} ${e.queue ?? '-'}`)
        .join(', ')}`,
    );
    return run;
  } finally {
    for (const c of clients) c.close();
    await cp.stop();
  }
}

async function main(): Promise<void> {
  // Only clusters of `least-load` routes name the policy; the other modes' clients ignore it.
  registerLeastLoad();
  const results: Record<string, unknown> = { pods: PODS, models: MODELS };
  if (PARTS.includes('ingest')) {
    const ing = await ingestion();
    results.ingestion = ing;
    const m = ing.median;
    say(
      `\nheartbeat ingestion, ${PODS} pods at 1 Hz (medians of ${WINDOWS} windows of ${WINDOW_MS / 1000} s)`,
    );
    process.stdout.write(
      renderTable(
        ['cpu % of one core', 'rss MiB', 'heartbeats/s', 'EDS pushes/s', 'changes merged/s'],
        [
          [
            m.cpuPct.toFixed(1),
            m.rssMiB.toFixed(0),
            m.heartbeatsPerS.toFixed(0),
            m.pushesPerS.toFixed(2),
            m.savedPerS.toFixed(1),
          ],
        ],
      ),
    );
    say(`goal: under 50 % of one core -> ${m.cpuPct < 50 ? 'met' : 'NOT met'}`);
  }
  if (PARTS.includes('routing')) {
    const { runs, capacityRps } = await routing();
    results.routing = runs;
    results.measuredCapacityRps = capacityRps;
    const ratios: Record<string, { p99VsRoundRobin: number; ofOptimum: number; ofMeasured: number }> = {};
    const rows: string[][] = [];
    for (const callers of CALLERS) {
      const by = (mode: Mode, k: 'rps' | 'p50Ms' | 'p99Ms' | 'slowShare') =>
        median(runs.filter((r) => r.callers === callers && r.mode === mode).map((r) => r[k]));
      for (const mode of MODES) {
        const p99Ratio = MODES.includes('equal') ? by(mode, 'p99Ms') / by('equal', 'p99Ms') : Number.NaN;
        ratios[`${callers}/${mode}`] = {
          p99VsRoundRobin: p99Ratio,
          ofOptimum: by(mode, 'rps') / OPTIMUM_RPS,
          ofMeasured: by(mode, 'rps') / capacityRps,
        };
        rows.push([
          String(callers),
          MODE_NAME[mode],
          by(mode, 'rps').toFixed(0),
          `${((100 * by(mode, 'rps')) / OPTIMUM_RPS).toFixed(0)}%`,
          `${((100 * by(mode, 'rps')) / capacityRps).toFixed(0)}%`,
          by(mode, 'p50Ms').toFixed(1),
          by(mode, 'p99Ms').toFixed(1),
          `${p99Ratio.toFixed(2)}x`,
          `${(100 * by(mode, 'slowShare')).toFixed(1)}%`,
          String(
            runs.filter((r) => r.callers === callers && r.mode === mode).reduce((n, r) => n + r.failures, 0),
          ),
        ]);
      }
    }
    results.ratios = ratios;
    results.optimumRps = OPTIMUM_RPS;
    say(
      `\n4 pods, one 4x slower, closed-loop grpc-js-xds callers (medians of ${REPS} runs; ` +
        `capacity-proportional optimum ${OPTIMUM_RPS.toFixed(1)} rps, measured ${capacityRps.toFixed(1)} rps)`,
    );
    process.stdout.write(
      renderTable(
        [
          'callers',
          'balancing',
          'rps',
          'of optimum',
          'of measured',
          'p50 ms',
          'p99 ms',
          'p99 / RR',
          'slow pod share',
          'failed',
        ],
        rows,
      ),
    );
    for (const callers of CALLERS)
      for (const mode of MODES.filter((m) => m !== 'equal')) {
        const r = ratios[`${callers}/${mode}`]!;
        say(
          `${callers} callers, ${MODE_NAME[mode]}: ${(100 * r.ofOptimum).toFixed(0)} % of the optimum ` +
            `(${(100 * r.ofMeasured).toFixed(0)} % of the measured capacity) ` +
            `(goal >= 90 %: ${r.ofOptimum >= 0.9 ? 'met' : 'NOT met'}), p99 ${r.p99VsRoundRobin.toFixed(2)}x round robin ` +
            `(goal <= 0.33: ${r.p99VsRoundRobin <= 1 / 3 ? 'met' : 'NOT met'})`,
        );
      }
  }
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'endpoints.json'), `${JSON.stringify(results, null, 1)}\n`);
}

await main();
process.exit(0);
