// The controller with its I/O replaced by in-memory doubles (one module under test): which
// writes it makes, in which order, and what it refuses without the lease.
import { describe, expect, it } from 'vitest';
import { PolicyConflictError, StoreError } from '../../kernel/errors/index.js';
import { createLogger, memoryLogger } from '../../kernel/log/index.js';
import type { ApplyRequest, PolicyService } from '../api/policy-service.js';
import { parsePolicyFile } from '../policy/index.js';
import type { StoredPolicy } from '../store/policy-record.js';
import { RolloutController } from './controller.js';
import { HeartbeatFigures } from './heartbeat-figures.js';
import { command, evaluate, startRollout } from './machine.js';
import { MemoryRolloutStore } from './rollout-store.js';

const ROUTE = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions: [{ name: v1, weight: 100 }, { name: v2, weight: 0 }]
  rollout:
    candidate: v2
    steps: [{ weight: 10, for: 5s }, { weight: 50, for: 5s }]
    analysis: { minRequests: 10, errorRate: { max: 10% }, failureLimit: 1 }
`,
  'p.yaml',
)[0]!;

function world(leaseHeld = true, route = ROUTE, store = new MemoryRolloutStore()) {
  let policy: StoredPolicy = {
    namespace: 'default',
    name: 'fraud',
    revision: 1,
    record: {} as never,
    route,
  };
  const applied: ApplyRequest[] = [];
  const service = {
    apply: async (_ctx: unknown, req: ApplyRequest) => {
      applied.push(req);
      const [route] = parsePolicyFile(JSON.stringify(req.document), 'applied');
      policy = { ...policy, revision: policy.revision + 1, route: route! };
      return {};
    },
  } as unknown as PolicyService;
  const fenced: number[] = [];
  const lease = {
    held: leaseHeld,
    isHeld() {
      return this.held;
    },
    token: () => 7,
    checkFence: async (t: number) => {
      fenced.push(t);
      if (!lease.held) throw new Error('stale token');
    },
  };
  const figures = new HeartbeatFigures();
  let now = 0;
  const controller = new RolloutController({
    store,
    policies: { get: async () => policy },
    service: () => service,
    figures,
    lease,
    log: createLogger('test', { level: 'silent' }),
    now: () => now,
  });
  return {
    store,
    figures,
    controller,
    service: service as { apply: PolicyService['apply'] },
    applied,
    fenced,
    lease,
    policy: () => policy,
    at: (ms: number) => {
      now = ms;
    },
  };
}

/** The same route with registry-backed versions, v2 already promoted by an operator at 1 s. */
const REGISTRY_ROUTE = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions:
    - { name: v1, weight: 100, model: { registry: "fraud:1" }, replicas: { min: 2, max: 2 } }
    - { name: v2, weight: 0, model: { registry: "fraud:2" } }
  rollout:
    candidate: v2
    steps: [{ weight: 10, for: 5s }]
    analysis: { errorRate: { max: 10% } }
    releaseAfter: 30s
`,
  'p.yaml',
)[0]!;

async function promotedIn(w: ReturnType<typeof world>, route = REGISTRY_ROUTE): Promise<void> {
  const spec = route.spec.rollout!;
  const s = startRollout('default/fraud', 'fraud', spec, 'v1', 100, 0).state;
  await w.store.put(command(spec, s, 'promote', 1000, 'alice')!.state, 0);
}

const replicasOf = (w: ReturnType<typeof world>, name: string) =>
  w.policy().route.spec.versions.find((v) => v.name === name)?.replicas;

const window = (requests: number, errors: number) => ({ requests, errors, p99Ms: 2 });

describe('RolloutController', () => {
  it('makes the route carry a state written before a crash, with the decision as the reason', async () => {
    const w = world();
    // A previous leader persisted step 1 and died before writing the policy.
    const t = startRollout('default/fraud', 'fraud', ROUTE.spec.rollout!, 'v1', 100, 0);
    await w.store.put(t.state, 0);
    w.at(1000);
    await w.controller.tick();
    expect(w.applied.map((a) => a.reason)).toEqual(['rollout fraud v2: step 1/2, 10 %']);
    expect(w.policy().route.spec.versions.map((v) => [v.name, v.weight])).toEqual([
      ['v1', 90],
      ['v2', 10],
    ]);
    expect(w.fenced).toContain(7);
    // Converged: the next tick writes no revision.
    w.at(2000);
    await w.controller.tick();
    expect(w.applied).toHaveLength(1);
  });

  it('rolls back on a failing sample: state first, then one revision', async () => {
    const w = world();
    await w.store.put(startRollout('default/fraud', 'fraud', ROUTE.spec.rollout!, 'v1', 100, 0).state, 0);
    w.at(1000);
    await w.controller.tick();
    w.figures.record('c', [{ model: 'fraud', version: 'v2', window: window(20, 10) }]);
    w.figures.record('s', [{ model: 'fraud', version: 'v1', window: window(200, 0) }]);
    w.at(2000);
    await w.controller.tick();
    const stored = await w.store.get('default/fraud');
    expect(stored?.state.phase).toBe('failed');
    expect(w.applied.at(-1)?.reason).toMatch(
      /^rollout fraud v2: rolled back at step 1: errorRate 50\.00 % > 10\.00 %/,
    );
    expect(w.policy().route.spec.versions.find((v) => v.name === 'v2')?.weight).toBe(0);
  });

  it('judges and writes nothing while another replica holds the lease', async () => {
    const w = world(false);
    await w.store.put(startRollout('default/fraud', 'fraud', ROUTE.spec.rollout!, 'v1', 100, 0).state, 0);
    w.figures.record('c', [{ model: 'fraud', version: 'v2', window: window(20, 10) }]);
    w.at(1000);
    await w.controller.tick();
    expect(w.applied).toEqual([]);
    expect((await w.store.get('default/fraud'))?.state.generation).toBe(1);
  });

  it('refuses the write when the lease is lost between the check and the write', async () => {
    const w = world();
    await w.store.put(startRollout('default/fraud', 'fraud', ROUTE.spec.rollout!, 'v1', 100, 0).state, 0);
    w.figures.record('c', [{ model: 'fraud', version: 'v2', window: window(20, 10) }]);
    w.figures.record('s', [{ model: 'fraud', version: 'v1', window: window(200, 0) }]);
    const isHeld = w.lease.isHeld.bind(w.lease);
    // Held when the tick starts, gone by the time it writes: the fence check fails.
    w.lease.isHeld = () => {
      const held = isHeld();
      w.lease.held = false;
      return held;
    };
    w.at(1000);
    await w.controller.tick();
    expect(w.applied).toEqual([]);
    expect((await w.store.get('default/fraud'))?.state.phase).toBe('progressing');
  });

  it('never judges a step whose revision a dead leader left unwritten: the revision first, then its full time', async () => {
    const w = world();
    const spec = ROUTE.spec.rollout!;
    // The old leader ran step 1 (10 %, on the route from 100 ms), persisted the advance to step 2
    // at 5.1 s and died before writing its revision.
    const s1 = startRollout('default/fraud', 'fraud', spec, 'v1', 100, 0).state;
    await w.store.put(s1, 0);
    w.at(100);
    await w.controller.tick();
    expect(w.applied.map((a) => a.reason)).toEqual(['rollout fraud v2: step 1/2, 10 %']);
    const pass = { requests: 50, errors: 0, p99Ms: 2 };
    const at1 = (await w.store.get('default/fraud'))!;
    const passed = evaluate(spec, { ...at1.state, lastDecisive: 'pass' }, 5100, {
      outcome: 'pass',
      gates: [],
      candidate: pass as never,
      stable: pass as never,
    });
    expect(passed.state.step).toBe(1);
    await w.store.put(passed.state, at1.revision);

    // The next leader takes over after step 2's time is up, with passing figures of 10 % traffic.
    w.figures.record('c', [{ model: 'fraud', version: 'v2', intervalRequests: 50, intervalErrors: 0 }]);
    w.figures.record('s', [{ model: 'fraud', version: 'v1', intervalRequests: 450, intervalErrors: 0 }]);
    w.at(20_000);
    await w.controller.tick();
    expect(w.applied.map((a) => a.reason)).toEqual([
      'rollout fraud v2: step 1/2, 10 %',
      'rollout fraud v2: step 2/2, 50 %',
    ]);
    const after = (await w.store.get('default/fraud'))!.state;
    expect(after).toMatchObject({ phase: 'progressing', step: 1, stepStartedAtMs: 20_000 });

    // Passing figures on its own traffic do not end it before its 5 s.
    const good = () => {
      w.figures.record('c', [{ model: 'fraud', version: 'v2', intervalRequests: 50, intervalErrors: 0 }]);
      w.figures.record('s', [{ model: 'fraud', version: 'v1', intervalRequests: 50, intervalErrors: 0 }]);
    };
    good();
    w.at(21_000);
    await w.controller.tick();
    expect((await w.store.get('default/fraud'))!.state).toMatchObject({ phase: 'progressing', step: 1 });
    good();
    w.at(25_000);
    await w.controller.tick();
    expect((await w.store.get('default/fraud'))!.state.phase).toBe('succeeded');
    // Every step once, in order, each with its own revision.
    expect(w.applied.map((a) => a.reason)).toEqual([
      'rollout fraud v2: step 1/2, 10 %',
      'rollout fraud v2: step 2/2, 50 %',
      'rollout fraud v2: promoted after 2 steps',
    ]);
  });

  it('writes a step whose revision was refused before judging it again', async () => {
    const w = world();
    await w.store.put(startRollout('default/fraud', 'fraud', ROUTE.spec.rollout!, 'v1', 100, 0).state, 0);
    w.at(100);
    await w.controller.tick();
    // Step 1 passes at its end; the advance's revision is refused (a conflicting write).
    const apply = w.service.apply;
    w.service.apply = async () => {
      throw new PolicyConflictError('default/fraud changed since revision 2');
    };
    w.figures.record('c', [{ model: 'fraud', version: 'v2', intervalRequests: 50, intervalErrors: 0 }]);
    w.figures.record('s', [{ model: 'fraud', version: 'v1', intervalRequests: 450, intervalErrors: 0 }]);
    w.at(5100);
    await w.controller.tick();
    expect((await w.store.get('default/fraud'))!.state).toMatchObject({ step: 1, stepStartedAtMs: 5100 });
    w.service.apply = apply;
    w.figures.record('c', [{ model: 'fraud', version: 'v2', intervalRequests: 50, intervalErrors: 0 }]);
    w.figures.record('s', [{ model: 'fraud', version: 'v1', intervalRequests: 50, intervalErrors: 0 }]);
    w.at(10_200);
    await w.controller.tick();
    // Judged as over its time, it would be promoted now; its traffic is written instead.
    expect(w.applied.map((a) => a.reason)).toEqual([
      'rollout fraud v2: step 1/2, 10 %',
      'rollout fraud v2: step 2/2, 50 %',
    ]);
    expect((await w.store.get('default/fraud'))!.state).toMatchObject({
      phase: 'progressing',
      step: 1,
      stepStartedAtMs: 10_200,
    });
  });

  it("a new leader's first sample holds no counters received while it followed", async () => {
    const w = world();
    await w.store.put(startRollout('default/fraud', 'fraud', ROUTE.spec.rollout!, 'v1', 100, 0).state, 0);
    w.at(100);
    await w.controller.tick();
    w.lease.held = false;
    // Failing counters from before this replica leads (another leader judged them, or not).
    w.figures.record('c', [{ model: 'fraud', version: 'v2', intervalRequests: 50, intervalErrors: 25 }]);
    w.at(1200);
    await w.controller.tick();
    w.lease.held = true;
    w.figures.record('c', [{ model: 'fraud', version: 'v2', intervalRequests: 50, intervalErrors: 0 }]);
    w.figures.record('s', [{ model: 'fraud', version: 'v1', intervalRequests: 50, intervalErrors: 0 }]);
    w.at(2300);
    await w.controller.tick();
    const state = (await w.store.get('default/fraud'))!.state;
    expect(state.phase).toBe('progressing');
    expect(state.history[0]).toMatchObject({ outcome: 'pass', candidate: { requests: 50, errors: 0 } });
  });

  it("releases the old stable's replicas once, only after releaseAfter", async () => {
    const w = world(true, REGISTRY_ROUTE);
    await promotedIn(w);
    w.at(2000);
    await w.controller.tick();
    expect(w.applied.map((a) => a.reason)).toEqual(['rollout fraud v2: promoted by alice at step 1/1']);
    expect(replicasOf(w, 'v1')).toEqual({ min: 2, max: 2 });
    w.at(30_999);
    await w.controller.tick();
    expect(w.applied).toHaveLength(1);
    w.at(31_000);
    await w.controller.tick();
    expect(w.applied.map((a) => a.reason)).toEqual([
      'rollout fraud v2: promoted by alice at step 1/1',
      'rollout fraud v2: released the replicas of v1 after 30s',
    ]);
    expect(w.applied[1]?.expectedRevision).toBe(2);
    expect(replicasOf(w, 'v1')).toEqual({ min: 0, max: 0 });
    expect(replicasOf(w, 'v2')).toEqual({ min: 1, max: 1 });
    const state = (await w.store.get('default/fraud'))!.state;
    expect(state.released).toBe(true);
    expect(state.history[0]).toMatchObject({ outcome: 'released', atMs: 31_000 });
    w.at(90_000);
    await w.controller.tick();
    expect(w.applied).toHaveLength(2);
  });

  it('a new leader does not release again, even after a crash between the revision and the flag', async () => {
    const first = world(true, REGISTRY_ROUTE);
    await promotedIn(first);
    first.at(2000);
    await first.controller.tick();
    first.at(31_000);
    await first.controller.tick();
    expect(first.applied).toHaveLength(2);

    // A new leader over the same state and route: the flag says it is done.
    const next = world(true, first.policy().route, first.store);
    next.at(100_000);
    await next.controller.tick();
    expect(next.applied).toEqual([]);

    // The previous leader wrote the revision and died before the flag: only the flag is written.
    const stored = (await first.store.get('default/fraud'))!;
    await first.store.put(
      { ...stored.state, released: false, history: stored.state.history.slice(1) },
      stored.revision,
    );
    const after = world(true, first.policy().route, first.store);
    after.at(100_000);
    await after.controller.tick();
    expect(after.applied).toEqual([]);
    const state = (await first.store.get('default/fraud'))!.state;
    expect(state.released).toBe(true);
    expect(state.history[0]?.reason).toBe('rollout fraud v2: replicas of v1 already released');
  });

  it('releases nothing when the old stable is not a registry version', async () => {
    const w = world();
    await promotedIn(w, ROUTE);
    w.at(2000);
    await w.controller.tick();
    w.at(10_000_000);
    await w.controller.tick();
    expect(w.applied.map((a) => a.reason)).toEqual(['rollout fraud v2: promoted by alice at step 1/2']);
    expect((await w.store.get('default/fraud'))?.state.released).toBeUndefined();
  });

  it('does not release without the lease', async () => {
    const w = world(false, REGISTRY_ROUTE);
    await promotedIn(w);
    w.at(10_000_000);
    await w.controller.tick();
    expect(w.applied).toEqual([]);
  });
});

describe('RolloutController while its store is down', () => {
  it('warns once per interval with a count, and says when ticks work again', async () => {
    class DownStore extends MemoryRolloutStore {
      down = true;
      lists = 0;
      override async list() {
        this.lists++;
        if (this.down)
          throw new StoreError('policy store: cannot list rollouts: NATS JetStream is not reachable');
        return super.list();
      }
    }
    const store = new DownStore();
    const log = memoryLogger();
    let now = 0;
    const controller = new RolloutController({
      store,
      policies: { get: async () => undefined },
      service: () => ({}) as PolicyService,
      figures: new HeartbeatFigures(),
      log,
      now: () => now,
      tickMs: 5,
    });
    controller.start();
    try {
      // Six failing ticks within the interval (the controller's clock stands still): one line.
      await until(() => store.lists >= 6, 'six ticks');
      const failed = () => log.records.filter((r) => r.msg === 'rollout: tick failed');
      expect(failed()).toHaveLength(1);
      // Ten seconds later on its clock: one more line, carrying the count of those not written.
      now = 10_000;
      await until(() => failed().length === 2, 'the second warning');
      expect(failed()[1]!.suppressed).toBeGreaterThanOrEqual(5);
      expect(failed()[1]!.error).toMatch(/not reachable/);
      store.down = false;
      await until(() => log.records.some((r) => r.msg === 'rollout: ticks work again'), 'the recovery line');
      const back = log.records.find((r) => r.msg === 'rollout: ticks work again')!;
      expect(back.failures).toBeGreaterThan((failed()[1]!.suppressed as number) + 1);
      expect(failed()).toHaveLength(2);
    } finally {
      await controller.stop();
    }
  });
});

async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
