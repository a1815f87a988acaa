// Rollouts end to end: real pods reporting over a real nats-server, the controller deciding on
// their heartbeats, weights moving as policy revisions that real grpc-js-xds clients follow.
import { afterEach, describe, expect, it } from 'vitest';
import type { RolloutView } from '../../control-plane/rollout/rollout-view.js';
import { runMain } from '../helpers/cli-in-process.js';
import { OPERATOR, type RolloutWorld, rolloutRoute, startWorld, waitFor } from './harness.js';

let world: RolloutWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const ANALYSIS = {
  minRequests: 20,
  errorRate: { max: '5%' },
  latencyP99: { maxMs: 1000, vsStable: '5x' },
  failureLimit: 2,
  inconclusiveLimit: 6,
  interval: '500ms',
};

async function begin(w: RolloutWorld, rollout: Record<string, unknown>): Promise<RolloutView> {
  const cp = w.plane().cp;
  await cp.service.apply(OPERATOR, { document: rolloutRoute(rollout), reason: 'affine with a rollout' });
  return cp.rollouts!.service.start(OPERATOR, 'default', 'affine', { reason: 'test' });
}

async function weights(w: RolloutWorld): Promise<Record<string, number>> {
  const p = await w.plane().cp.service.get(OPERATOR, 'default', 'affine');
  return Object.fromEntries(p.versions.map((v) => [v.name, v.weight]));
}

/** Calls each pod served during one second: [stable, candidate]. */
async function servedInOneSecond(w: RolloutWorld): Promise<[number, number]> {
  const before = [w.stable.stats.served, w.candidate.stats.served];
  await new Promise((r) => setTimeout(r, 1000));
  return [w.stable.stats.served - before[0]!, w.candidate.stats.served - before[1]!];
}

async function reasons(w: RolloutWorld): Promise<string[]> {
  const h = await w.plane().cp.service.history(OPERATOR, 'default', 'affine');
  return h.map((r) => r.record?.reason ?? '');
}

/**
 * Waits for the rollout to fail at step 1, rolled back on a failing `gate`; then for the route to
 * give the candidate 0 % in exactly one revision and for the clients to stop reaching it.
 */
async function expectRolledBackOn(w: RolloutWorld, gate: string, decideMs?: number) {
  const done = await waitFor(
    'rollback',
    () => w.status(),
    (s) => s.phase !== 'progressing',
    decideMs,
  );
  expect(done.phase, JSON.stringify(done.history.slice(0, 3))).toBe('failed');
  expect(done.step).toBe(1);
  const last = done.history[0]!;
  expect(last.outcome).toBe('rolled-back');
  const failed = last.gates?.find((g) => g.gate === gate);
  expect(failed?.outcome, JSON.stringify(last.gates)).toBe('fail');
  await waitFor(
    'candidate at 0',
    () => weights(w),
    (weight) => weight['2'] === 0 && weight['1'] === 100,
  );
  expect((await reasons(w)).filter((r) => r.includes('rolled back'))).toHaveLength(1);
  await waitFor(
    'clients off the candidate',
    () => servedInOneSecond(w),
    ([stable, candidate]) => candidate === 0 && stable > 0,
    30_000,
  );
  return { last, gate: failed! };
}

describe('rollouts', () => {
  it("takes a good candidate through every step and promotes it, on the steps' clock", async () => {
    world = await startWorld();
    world.load.start(4);
    const started = await begin(world, {
      candidate: '2',
      steps: [
        { weight: 20, for: '2s' },
        { weight: 50, for: '2s' },
      ],
      analysis: ANALYSIS,
    });
    expect(started).toMatchObject({ phase: 'progressing', step: 1, candidateWeight: 20, stableWeight: 80 });
    const t0 = Date.now();
    // The CLI's live view, off a terminal: each change printed once, until the rollout ends.
    const watching = runMain('rollout', 'status', 'affine', '--watch', '--server', world.plane().adminUrl);
    const done = await waitFor(
      'promotion',
      () => world!.status(),
      (s) => s.phase !== 'progressing',
    );
    const elapsed = Date.now() - t0;
    expect(done.phase, JSON.stringify(done.history.slice(0, 5))).toBe('succeeded');
    // Two steps of 2 s each; the decision comes at the first judged sample after each step's end.
    expect(elapsed).toBeGreaterThanOrEqual(4000);
    expect(elapsed).toBeLessThan(4000 + 8000);
    const advances = [...done.history]
      .reverse()
      .filter((d) => d.outcome === 'advance' || d.outcome === 'promoted');
    expect(advances.map((d) => d.reason)).toEqual([
      'rollout affine 2: step 1/2, 20 %',
      'rollout affine 2: step 2/2, 50 %',
      'rollout affine 2: promoted after 2 steps',
    ]);
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/step +1\/2 .*left of 2\.0s/);
    expect(watched.stdout).toMatch(/step +2\/2 /);
    expect(watched.stdout).toContain('rollout default/affine: affine 1 -> 2  SUCCEEDED');
    expect(watched.stdout).toMatch(/traffic +2 100 \[#+\] 1 0/);
    // No step was shorter than its `for`.
    expect(advances[1]!.atMs - advances[0]!.atMs).toBeGreaterThanOrEqual(2000);
    expect(advances[2]!.atMs - advances[1]!.atMs).toBeGreaterThanOrEqual(2000);
    // Every decision to move on recorded the figures it was based on: its own sample's, or, when
    // the step's time ran out on a sample still short of minRequests (a loaded host's traffic),
    // those of the step's last decisive sample, which must have passed (docs/ROLLOUTS.md).
    const moved = advances[1]!;
    const basis = moved.gates?.some((g) => g.gate === 'traffic' && g.outcome === 'pass')
      ? moved
      : done.history.find(
          (d) =>
            (d.outcome === 'pass' || d.outcome === 'fail') &&
            d.atMs < moved.atMs &&
            d.atMs > advances[0]!.atMs,
        );
    expect(basis?.gates?.find((g) => g.gate === 'traffic')?.outcome, JSON.stringify(moved)).toBe('pass');
    await waitFor(
      'promoted weights',
      () => weights(world!),
      (w) => w['2'] === 100 && w['1'] === 0,
    );
    const r = await reasons(world);
    expect(r).toEqual(
      expect.arrayContaining([
        'rollout affine 2: step 1/2, 20 %',
        'rollout affine 2: step 2/2, 50 %',
        'rollout affine 2: promoted after 2 steps',
      ]),
    );
    // The clients follow: a second with every call on the candidate pod.
    await waitFor(
      'all traffic on the candidate',
      () => servedInOneSecond(world!),
      ([stable, candidate]) => stable === 0 && candidate! > 0,
      30_000,
    );
  });

  it('rolls back a candidate slower than stable: candidate weight 0 in one revision, clients leave it', async () => {
    world = await startWorld();
    world.candidate.setInjectDelay(60);
    world.load.start(4);
    await begin(world, {
      candidate: '2',
      steps: [
        { weight: 20, for: '30s' },
        { weight: 50, for: '30s' },
      ],
      analysis: ANALYSIS,
    });
    const { gate: lat } = await expectRolledBackOn(world, 'latencyP99');
    expect(lat.candidate).toBeGreaterThan(lat.threshold ?? Number.POSITIVE_INFINITY);
  });

  it('rolls back a candidate failing 20 % of its requests at the 5 % step, judged against stable', async () => {
    world = await startWorld();
    world.candidate.setInjectErrorRate(0.2);
    world.load.start(4);
    await begin(world, {
      candidate: '2',
      steps: [
        { weight: 5, for: '30s' },
        { weight: 50, for: '30s' },
      ],
      // Relative to stable only: no absolute ceiling, so the verdict is the comparison's.
      analysis: { ...ANALYSIS, errorRate: { vsStable: '2x' } },
      onFailure: 'rollback',
    });
    // The verdict needs two failing samples in a row of minRequests candidate calls each, at 5 %
    // of closed-loop traffic: 800 calls or more, which took 24 s at load average 13 on two cores.
    // A sample of 20 passes by chance (1 error or none: about 1 in 15), resetting the count, so
    // one run in eight needs a third sample or more. The wait follows that, not a guess.
    const { last, gate: err } = await expectRolledBackOn(world, 'errorRate', 90_000);
    // Judged against stable over the same interval: stable's own rate is in the figures, and the
    // threshold is 2x it (plus one error of slack), far under the candidate's.
    expect(err.stable).toBeDefined();
    expect(err.stable!).toBeLessThan(0.01);
    expect(err.candidate!).toBeGreaterThan(0.1);
    expect(err.threshold!).toBeLessThan(err.candidate!);
    expect(last.candidate!.requests).toBeGreaterThanOrEqual(ANALYSIS.minRequests);
    expect(last.candidate!.errors).toBeGreaterThan(0);
    // The world's start, the verdict's wait above and the waits for the clients to leave the
    // candidate, each with its own named deadline, fit in this.
  }, 180_000);

  it('calls too little traffic inconclusive: the step runs over, then pauses; never a promotion', async () => {
    world = await startWorld();
    world.load.start(1);
    await begin(world, {
      candidate: '2',
      steps: [{ weight: 20, for: '1s' }],
      analysis: { ...ANALYSIS, minRequests: 1_000_000, inconclusiveLimit: 4 },
    });
    const done = await waitFor(
      'pause',
      () => world!.status(),
      (s) => s.phase !== 'progressing',
    );
    expect(done.phase).toBe('paused');
    expect(done.pausedReason).toMatch(
      /^inconclusive for 5 evaluations past the step's time: only \d+ candidate requests, fewer than minRequests 1000000/,
    );
    expect(done.history.some((d) => d.outcome === 'promoted' || d.outcome === 'pass')).toBe(false);
    expect(await weights(world)).toEqual({ '1': 80, '2': 20 });
    // An operator may still decide: abort sends the candidate 0 % at once.
    const url = world.plane().adminUrl;
    const shown = await runMain('rollout', 'status', 'affine', '--server', url);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('affine 1 -> 2  PAUSED');
    expect(shown.stdout).toMatch(/traffic +2 20 \[#+\.+\] 1 80/);
    expect(shown.stdout).toMatch(/traffic +inconclusive +\d+ +- +1000000/);
    const aborted = await runMain('rollout', 'abort', 'affine', '--server', url, '-o', 'json');
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(JSON.parse(aborted.stdout)).toMatchObject({
      phase: 'aborted',
      candidateWeight: 0,
      stableWeight: 100,
    });
    const again = await runMain('rollout', 'resume', 'affine', '--server', url);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('is aborted: it cannot be told to resume');
    await waitFor(
      'candidate at 0',
      () => weights(world!),
      (w) => w['2'] === 0,
    );
    expect((await reasons(world)).at(-1)).toBe('rollout affine 2: aborted by anonymous at step 1/1');
  });

  it('continues on another replica from the same step when the leader stops mid-rollout', async () => {
    // The clients follow cp-b, so stopping the leader cp-a (first up, first to take the lease)
    // tests the controller's failover, not the clients' reconnect.
    world = await startWorld({ replicas: ['cp-a', 'cp-b'], xdsPlane: 1 });
    world.load.start(4);
    const leader = () => world!.leases.findIndex((l) => l?.isHeld());
    await waitFor(
      'a leader',
      async () => leader(),
      (i) => i >= 0,
    );
    await begin(world, {
      candidate: '2',
      steps: [
        { weight: 10, for: '3s' },
        { weight: 30, for: '3s' },
        { weight: 60, for: '3s' },
      ],
      // Stopping a replica stalls this (shared) process for a moment, which a latency gate would
      // rightly see; this test is about where the rollout continues, so it judges errors only.
      analysis: { ...ANALYSIS, latencyP99: undefined },
    });
    await waitFor(
      'step 2',
      () => world!.status(),
      (s) => s.step === 2,
    );
    const first = leader();
    await world.stopPlane(first);
    const done = await waitFor(
      'promotion',
      () => world!.status(),
      (s) => s.phase !== 'progressing',
      90_000,
    );
    expect(done.phase, JSON.stringify(done.history.slice(0, 3))).toBe('succeeded');
    const advances = [...done.history]
      .reverse()
      .filter((d) => d.outcome === 'advance' || d.outcome === 'promoted');
    // Each step exactly once, in order: none repeated, none skipped.
    expect(advances.map((d) => d.step)).toEqual([0, 1, 2, 2]);
    expect(advances.map((d) => d.outcome)).toEqual(['advance', 'advance', 'advance', 'promoted']);
    expect(world.leases[1 - first]?.isHeld()).toBe(true);
    // Outlasts the 90 s wait for the promotion above, so that wait is what reports a stall.
  }, 150_000);
});
