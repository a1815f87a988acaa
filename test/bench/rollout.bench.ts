// Benchmark of automated rollback (docs/ROLLOUTS.md, "How fast"): a rollout holds the candidate
// at a 20 % step under steady closed-loop load from grpc-js-xds clients; then the candidate turns
// bad and a gate rolls it back. Two faults, measured side by side in one run on the same world:
// - latency: +200 ms per request (--inject-delay-ms), judged by the latency gate (p99 at most
//   100 ms; the relative bound is left out: at sub-millisecond latencies on a loaded machine it
//   is noise);
// - errors: 20 % of the candidate's requests fail (--inject-error-rate), judged by the error gate
//   (at most 5 %).
// Measured per run: the time from fault onset to the candidate's last request at the clients
// (0 % candidate traffic), the share of the window's requests the bad candidate served, and the
// share that failed (goal for the error fault: at most step weight x error rate plus one
// heartbeat interval of traffic). p50/p99 over the runs. Goal: p99 <= 5 s (Flagger: at best 10 s
// x its threshold). The analysis runs at its default 1 s interval with failureLimit 2; the pods
// heartbeat every 200 ms with per-interval counters.
// `npx tsx test/bench/rollout.bench.ts`; ROLLOUT_BENCH_RUNS (10) changes the count per fault.
import { renderTable } from '../../control-plane/cli/table.js';
import type { RolloutView } from '../../control-plane/rollout/rollout-view.js';
import { HEARTBEAT_MS } from '../endpoints/harness.js';
import { percentile, summarize } from '../endpoints/load.js';
import { OPERATOR, type RolloutWorld, rolloutRoute, startWorld, waitFor } from '../rollout/harness.js';

const RUNS = Number(process.env.ROLLOUT_BENCH_RUNS ?? 10);
const FAULT_DELAY_MS = 200;
const FAULT_ERROR_RATE = 0.2;
const QUIET_MS = 2000;
const STEP_WEIGHT = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fault {
  readonly name: string;
  readonly analysis: Record<string, unknown>;
  /** The share of the candidate's requests the fault fails. */
  readonly errorRate: number;
  set(w: RolloutWorld, on: boolean): void;
}

const FAULTS: readonly Fault[] = [
  {
    name: `+${FAULT_DELAY_MS} ms per request`,
    analysis: { minRequests: 100, latencyP99: { maxMs: 100 }, failureLimit: 2 },
    errorRate: 0,
    set: (w, on) => w.candidate.setInjectDelay(on ? FAULT_DELAY_MS : 0),
  },
  {
    name: `${100 * FAULT_ERROR_RATE} % of requests failing`,
    analysis: { minRequests: 100, errorRate: { max: '5%' }, failureLimit: 2 },
    errorRate: FAULT_ERROR_RATE,
    set: (w, on) => w.candidate.setInjectErrorRate(on ? FAULT_ERROR_RATE : 0),
  },
];

interface Run {
  readonly toZeroMs: number;
  readonly decidedMs: number;
  readonly badShare: number;
  readonly failedShare: number;
  /** The failed share allowed: step weight x error rate + one heartbeat interval of traffic. */
  readonly failedGoal: number;
}

async function status(w: RolloutWorld): Promise<RolloutView> {
  return w.status();
}

async function oneRun(w: RolloutWorld, fault: Fault): Promise<Run> {
  const cp = w.plane().cp;
  await cp.service.apply(OPERATOR, {
    document: rolloutRoute({
      candidate: '2',
      steps: [{ weight: STEP_WEIGHT, for: '10m' }],
      analysis: fault.analysis,
    }),
    reason: 'bench: reset',
  });
  await cp.rollouts!.service.start(OPERATOR, 'default', 'affine', { reason: 'bench' });
  // Steady state: the clients send the candidate its share and the gates pass.
  await waitFor(
    'a passing sample',
    () => status(w),
    (s) => s.history.filter((d) => d.outcome === 'pass').length >= 1,
  );
  // The candidate's requests: those it served, and those that failed (only it fails them).
  let failures = 0;
  let scanned = w.load.calls.length;
  const reached = () => {
    for (; scanned < w.load.calls.length; scanned++) if (w.load.calls[scanned]!.code !== null) failures++;
    return w.candidate.stats.served + failures;
  };
  const seen = { count: reached(), at: performance.now() };
  const poll = setInterval(() => {
    const n = reached();
    if (n !== seen.count) {
      seen.count = n;
      seen.at = performance.now();
    }
  }, 5);
  const before = { stable: w.stable.stats.served, candidate: w.candidate.stats.served };
  const t0 = performance.now();
  const callsFrom = w.load.calls.length;
  fault.set(w, true);
  const failed = await waitFor(
    'rollback',
    () => status(w),
    (s) => s.phase !== 'progressing',
    60_000,
  );
  const decidedMs = performance.now() - t0;
  if (failed.phase !== 'failed') throw new Error(`expected a rollback, got ${failed.phase}`);
  // The candidate is at 0 % once no call has reached it for QUIET_MS.
  while (performance.now() - seen.at < QUIET_MS) await sleep(50);
  clearInterval(poll);
  const end = seen.at;
  const bad = w.candidate.stats.served - before.candidate + failures;
  const good = w.stable.stats.served - before.stable;
  const calls = summarize(w.load.calls.slice(callsFrom), t0, end);
  fault.set(w, false);
  const windowMs = end - t0;
  return {
    toZeroMs: end - t0,
    decidedMs,
    badShare: bad / Math.max(1, bad + good),
    failedShare: calls.errorRate,
    failedGoal: (STEP_WEIGHT / 100) * fault.errorRate + HEARTBEAT_MS / Math.max(windowMs, HEARTBEAT_MS),
  };
}

async function measure(world: RolloutWorld, fault: Fault): Promise<Run[]> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await oneRun(world, fault);
    runs.push(r);
    process.stdout.write(
      `${fault.name}, run ${i + 1}/${RUNS}: decided ${r.decidedMs.toFixed(0)} ms, 0 % at ${r.toZeroMs.toFixed(0)} ms, bad share ${(100 * r.badShare).toFixed(2)} %, failed ${(100 * r.failedShare).toFixed(2)} %\n`,
    );
  }
  return runs;
}

function report(fault: Fault, runs: readonly Run[]): void {
  const sorted = (f: (r: Run) => number) => runs.map(f).sort((a, b) => a - b);
  const ms = (v: number) => `${(v / 1000).toFixed(2)} s`;
  const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
  const row = (name: string, f: (r: Run) => number, fmt: (v: number) => string) => {
    const s = sorted(f);
    return [name, fmt(percentile(s, 0.5)), fmt(percentile(s, 0.99)), fmt(s[s.length - 1]!)];
  };
  const overGoal = runs.filter((r) => r.failedShare > r.failedGoal).length;
  process.stdout.write(
    `\nrollback of a candidate with ${fault.name} at a ${STEP_WEIGHT} % step, ${RUNS} runs (goal: p99 of "fault -> 0 %" <= 5 s)\n`,
  );
  process.stdout.write(
    renderTable(
      ['figure', 'p50', 'p99', 'max'],
      [
        row('fault -> rollback decided', (r) => r.decidedMs, ms),
        row('fault -> 0 % candidate traffic', (r) => r.toZeroMs, ms),
        row('requests reaching the bad candidate in that window', (r) => r.badShare, pct),
        row('requests failed in that window', (r) => r.failedShare, pct),
        row('  allowed: weight x error rate + one heartbeat of traffic', (r) => r.failedGoal, pct),
      ],
    ),
  );
  process.stdout.write(`runs whose failed share exceeds its allowance: ${overGoal}/${RUNS}\n`);
}

async function main(): Promise<void> {
  const world = await startWorld();
  try {
    world.load.start(6);
    const results: Array<[Fault, Run[]]> = [];
    for (const fault of FAULTS) results.push([fault, await measure(world, fault)]);
    for (const [fault, runs] of results) report(fault, runs);
    process.stdout.write('\n');
  } finally {
    await world.close();
  }
}

await main();
