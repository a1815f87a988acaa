// A controller tick racing other writers, on the real stores (a real nats-server, the policy KV
// through the policy service, the rollout KV): a write landing between what the tick read and
// what it writes survives, and the tick writes no revision of the traffic it replaced.
// docs/ROLLOUTS.md, "Failover".
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyRequest, CallContext } from '../../control-plane/api/policy-service.js';
import { PolicyService } from '../../control-plane/api/policy-service.js';
import { RateLimiter } from '../../control-plane/auth/rate-limit.js';
import { RolloutController } from '../../control-plane/rollout/controller.js';
import { HeartbeatFigures } from '../../control-plane/rollout/heartbeat-figures.js';
import { RolloutService } from '../../control-plane/rollout/rollout-service.js';
import { KvRolloutStore, type RolloutStore } from '../../control-plane/rollout/rollout-store.js';
import type { RolloutState } from '../../control-plane/rollout/state.js';
import { PolicyStore } from '../../control-plane/store/policy-store.js';
import { createLogger } from '../../kernel/log/index.js';
import { NatsServer } from '../helpers/nats-server.js';

const OPERATOR: CallContext = {
  principal: { id: 'test:operator', kind: 'apikey', bindings: [{ role: 'operator', namespaces: ['*'] }] },
  from: 'test',
  via: 'http',
};
const log = createLogger('test', { level: 'silent' });

function document(name: string, weights: [number, number], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name, namespace: 'default' },
    spec: {
      model: name,
      versions: [
        { name: 'v1', weight: weights[0] },
        { name: 'v2', weight: weights[1] },
      ],
      rollout: {
        candidate: 'v2',
        steps: [
          { weight: 10, for: '1s' },
          { weight: 50, for: '1s' },
        ],
        analysis: { minRequests: 10, errorRate: { max: '10%' }, interval: '1s' },
      },
      ...extra,
    },
  };
}

/** The real rollout store, with a hook run once just before or after the controller's next put. */
class HookedStore implements RolloutStore {
  before?: () => Promise<void>;
  after?: () => Promise<void>;
  constructor(private readonly inner: RolloutStore) {}
  get(route: string) {
    return this.inner.get(route);
  }
  list() {
    return this.inner.list();
  }
  async put(state: RolloutState, expected: number): Promise<number> {
    const before = this.before;
    this.before = undefined;
    await before?.();
    const revision = await this.inner.put(state, expected);
    const after = this.after;
    this.after = undefined;
    await after?.();
    return revision;
  }
}

let nats: NatsServer;
let nc: NatsConnection;
let policies: PolicyStore;
/** A bucket of its own per test: a tick goes over every rollout in its store. */
let rolloutStore: KvRolloutStore;
let service: PolicyService;
let rollouts: RolloutService;
let n = 0;

beforeAll(async () => {
  nats = await NatsServer.start();
  nc = await connect({ ...nats.connectOptions(), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  policies = await PolicyStore.open(nc, log);
  service = new PolicyService({
    store: policies,
    rateLimiter: new RateLimiter({ perSecond: 1000, burst: 1000 }),
    fallback: () => [],
  });
});

afterAll(async () => {
  await nc?.close();
  await nats?.cleanup();
});

/** A started rollout of a fresh policy, and a controller on the real stores at a clock of ours. */
interface World {
  readonly name: string;
  readonly store: HookedStore;
  readonly figures: HeartbeatFigures;
  readonly controller: RolloutController;
  /** Runs before the controller's next read of the policy (after it read the rollout). */
  beforePolicyRead?: () => Promise<void>;
  /** Runs inside the controller's next policy write, before the policy service's. */
  beforePolicyWrite?: () => Promise<void>;
  at(ms: number): void;
  weights(): Promise<number[]>;
  /** Revisions after `after`: who wrote each and why. */
  writes(after: number): Promise<string[]>;
}

let w: World;

beforeEach(async () => {
  const name = `m${++n}`;
  rolloutStore = await KvRolloutStore.open(nc, `stale_tick_${n}`);
  rollouts = new RolloutService({ store: rolloutStore, policies });
  await service.apply(OPERATOR, { document: document(name, [100, 0]), reason: 'set up' });
  await rollouts.start(OPERATOR, 'default', name);
  let now = 0;
  const store = new HookedStore(rolloutStore);
  const figures = new HeartbeatFigures();
  const world: World = {
    name,
    store,
    figures,
    controller: new RolloutController({
      store,
      policies: {
        get: async (namespace, name) => {
          const hook = world.beforePolicyRead;
          world.beforePolicyRead = undefined;
          await hook?.();
          return policies.get(namespace, name);
        },
      },
      service: () =>
        ({
          apply: async (ctx: CallContext, req: ApplyRequest) => {
            const hook = world.beforePolicyWrite;
            world.beforePolicyWrite = undefined;
            await hook?.();
            return service.apply(ctx, req);
          },
        }) as PolicyService,
      figures,
      log,
      now: () => now,
    }),
    at: (ms) => {
      now = ms;
    },
    weights: async () => (await policies.get('default', name))!.route.spec.versions.map((v) => v.weight),
    writes: async (after) =>
      (await policies.history('default', name))
        .filter((h) => h.revision > after)
        .map((h) => `${h.record?.appliedBy}: ${h.record?.reason}`),
  };
  w = world;
});

afterEach(async () => {
  await w.controller.stop();
});

const revisionOf = async (name: string) => (await policies.get('default', name))!.revision;
const abort = () => rollouts.command(OPERATOR, 'default', w.name, 'abort', 'candidate is bad').then(() => {});

describe('a rollout tick racing other writers (real stores)', () => {
  it("writes no revision of a step's traffic when an abort lands after the tick read the rollout", async () => {
    // The first tick finds step 1's 10 % missing from the route and writes it; the abort lands
    // after the tick read the rollout, before that write.
    const before = await revisionOf(w.name);
    w.beforePolicyRead = abort;
    w.at(100);
    await w.controller.tick();
    expect((await rolloutStore.get(`default/${w.name}`))?.state.phase).toBe('aborted');
    expect(await w.writes(before)).toEqual([]);
    expect(await w.weights()).toEqual([100, 0]);
    // Converged: the aborted rollout's traffic is what the route carries; nothing more to write.
    w.at(1200);
    await w.controller.tick();
    expect(await w.writes(before)).toEqual([]);
  });

  it('writes no revision of an advance when an abort lands between its state write and its revision', async () => {
    w.at(100);
    await w.controller.tick();
    expect(await w.weights()).toEqual([90, 10]);
    const window = (requests: number) => ({ requests, errors: 0, p99Ms: 2 });
    w.figures.record('c', [{ model: w.name, version: 'v2', window: window(50) }]);
    w.figures.record('s', [{ model: w.name, version: 'v1', window: window(450) }]);
    const before = await revisionOf(w.name);
    // Step 1's second is up and its figures pass: the tick writes the advance to step 2, then
    // the operator's abort lands, then the tick would write step 2's 50 %.
    w.store.after = abort;
    w.at(1200);
    await w.controller.tick();
    const stored = (await rolloutStore.get(`default/${w.name}`))!.state;
    expect(stored.phase).toBe('aborted');
    expect(stored.history.map((d) => d.outcome)).toContain('advance');
    expect(await w.writes(before)).toEqual([]);
    expect(await w.weights()).toEqual([90, 10]);
    // The next tick follows the abort: one revision, back to stable.
    w.at(2400);
    await w.controller.tick();
    expect(await w.writes(before)).toEqual([expect.stringMatching(/^system:rollout: .*aborted/)]);
    expect(await w.weights()).toEqual([100, 0]);
  });

  it("loses its state write to an abort that lands after the tick's read: the abort stands", async () => {
    w.at(100);
    await w.controller.tick();
    w.figures.record('c', [{ model: w.name, version: 'v2', window: { requests: 50, errors: 0, p99Ms: 2 } }]);
    w.figures.record('s', [{ model: w.name, version: 'v1', window: { requests: 450, errors: 0, p99Ms: 2 } }]);
    const before = await revisionOf(w.name);
    w.store.before = abort;
    w.at(1200);
    await w.controller.tick();
    const stored = (await rolloutStore.get(`default/${w.name}`))!.state;
    expect(stored.phase).toBe('aborted');
    expect(stored.history.map((d) => d.outcome)).not.toContain('promoted');
    expect(stored.step).toBe(0);
    expect(await w.writes(before)).toEqual([]);
  });

  it('undoes on the next tick the one revision an abort landing inside the policy write cannot stop', async () => {
    // KV has no write conditional on two keys: an abort between the controller's last read of
    // the rollout and its policy write (the policy service's own round trips) is followed by
    // the step's revision, which the next tick replaces with the aborted rollout's traffic.
    const before = await revisionOf(w.name);
    w.beforePolicyWrite = abort;
    w.at(100);
    await w.controller.tick();
    expect(await w.writes(before)).toEqual([expect.stringMatching(/^system:rollout: .*step 1\/2, 10 %/)]);
    w.at(1200);
    await w.controller.tick();
    expect((await w.writes(before))[1]).toMatch(/^system:rollout: .*aborted/);
    expect(await w.weights()).toEqual([100, 0]);
  });

  it("loses its policy write to an operator's apply that lands after the tick read the policy", async () => {
    const before = await revisionOf(w.name);
    // The operator changes the timeout while the tick builds step 1's revision on the older one.
    w.beforePolicyWrite = () =>
      service
        .apply(OPERATOR, {
          document: document(w.name, [100, 0], { timeout: '5s' }),
          reason: 'operator change',
        })
        .then(() => {});
    w.at(100);
    await w.controller.tick();
    expect(await w.writes(before)).toEqual(['test:operator: operator change']);
    const timeout = async () => (await policies.get('default', w.name))!.route.spec.timeout;
    expect(await timeout()).toBe('5s');
    // The next tick builds on the operator's revision, keeping it.
    w.at(1200);
    await w.controller.tick();
    expect(await w.writes(before)).toEqual([
      'test:operator: operator change',
      expect.stringMatching(/^system:rollout: rollout m\d+ v2: step 1\/2, 10 %/),
    ]);
    expect(await timeout()).toBe('5s');
    expect(await w.weights()).toEqual([90, 10]);
  });
});
