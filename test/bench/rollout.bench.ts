// Benchmark of automated rollback (docs/ROLLOUTS.md): a rollout holds the candidate at a 20 %
// step under steady closed-loop load from grpc-js-xds clients; then the candidate turns bad
// (+200 ms per request, --inject-delay-ms on its pod) and the latency gate (p99 at most 100 ms;
// the relative bound is left out: at sub-millisecond latencies on a loaded machine it is noise)
// rolls it back. Measured per run: the time from fault onset to the candidate's last served
// request at the clients (0 % candidate traffic), and the share of the window's requests the bad
// candidate served. p50/p99 over the runs. Goal: p99 <= 5 s (Flagger: at best 10 s x its threshold).
// The analysis runs at its default 1 s interval with failureLimit 2; the pods heartbeat every
// 200 ms and report window summaries (2 s windows).
// `npx tsx test/bench/rollout.bench.ts`; ROLLOUT_BENCH_RUNS (10) changes the count.
import { renderTable } from '../../control-plane/cli/table.js';
import type { RolloutView } from '../../control-plane/rollout/rollout-view.js';
import { percentile, summarize } from '../endpoints/load.js';
import { OPERATOR, type RolloutWorld, rolloutRoute, startWorld, waitFor } from '../rollout/harness.js';

const RUNS = Number(process.env.ROLLOUT_BENCH_RUNS ?? 10);
const FAULT_DELAY_MS = 200;
const QUIET_MS = 2000;
const STEP_WEIGHT = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  readonly toZeroMs: number;
  readonly decidedMs: number;
  readonly badShare: number;
  readonly failedShare: number;
}

async function status(w: RolloutWorld): Promise<RolloutView> {
  return w.status();
}

async function oneRun(w: RolloutWorld): Promise<Run> {
  const cp = w.plane().cp;
  await cp.service.apply(OPERATOR, {
    document: rolloutRoute({
      candidate: '2',
      steps: [{ weight: STEP_WEIGHT, for: '10m' }],
      analysis: { minRequests: 100, latencyP99: { maxMs: 100 }, failureLimit: 2 },
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
  const seen = { count: w.candidate.stats.served, at: performance.now() };
  const poll = setInterval(() => {
    const n = w.candidate.stats.served;
    if (n !== seen.count) {
      seen.count = n;
      seen.at = performance.now();
    }
  }, 5);
  const before = { stable: w.stable.stats.served, candidate: w.candidate.stats.served };
  const t0 = performance.now();
  const callsFrom = w.load.calls.length;
  w.candidate.setInjectDelay(FAULT_DELAY_MS);
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
  const bad = seen.count - before.candidate;
  const good = w.stable.stats.served - before.stable;
  const calls = summarize(w.load.calls.slice(callsFrom), t0, end);
  w.candidate.setInjectDelay(0);
  return {
    toZeroMs: end - t0,
    decidedMs,
    badShare: bad / Math.max(1, bad + good),
    failedShare: calls.errorRate,
  };
}

async function main(): Promise<void> {
  const world = await startWorld();
  try {
    world.load.start(6);
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await oneRun(world);
      runs.push(r);
      process.stdout.write(
        `run ${i + 1}/${RUNS}: decided ${r.decidedMs.toFixed(0)} ms, 0 % at ${r.toZeroMs.toFixed(0)} ms, bad share ${(100 * r.badShare).toFixed(2)} %\n`,
      );
    }
    const sorted = (f: (r: Run) => number) => runs.map(f).sort((a, b) => a - b);
    const ms = (v: number) => `${(v / 1000).toFixed(2)} s`;
    const pct = (v: number) => `${(100 * v).toFixed(2)} %`;
    const row = (name: string, f: (r: Run) => number, fmt: (v: number) => string) => {
      const s = sorted(f);
      return [name, fmt(percentile(s, 0.5)), fmt(percentile(s, 0.99)), fmt(s[s.length - 1]!)];
    };
    process.stdout.write(
      `\nrollback of a candidate +${FAULT_DELAY_MS} ms slower at a ${STEP_WEIGHT} % step, ${RUNS} runs (goal: p99 of "fault -> 0 %" <= 5 s)\n`,
    );
    process.stdout.write(
      renderTable(
        ['figure', 'p50', 'p99', 'max'],
        [
          row('fault -> rollback decided', (r) => r.decidedMs, ms),
          row('fault -> 0 % candidate traffic', (r) => r.toZeroMs, ms),
          row('requests served by the bad candidate in that window', (r) => r.badShare, pct),
          row('requests failed in that window', (r) => r.failedShare, pct),
        ],
      ),
    );
    process.stdout.write('\n');
  } finally {
    await world.close();
  }
}

await main();
