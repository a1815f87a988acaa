// The rollout service with an in-memory store (one module under test): an operator's command
// whose compare-and-set loses to the controller's write of a judged sample is decided again on the
// newer state, audited once; one the newer state no longer allows is refused with the phase.
import { describe, expect, it } from 'vitest';
import { PolicyConflictError } from '../../kernel/errors/index.js';
import type { CallContext } from '../api/policy-service.js';
import type { AuditEvent } from '../audit/audit-chain.js';
import { parsePolicyFile } from '../policy/index.js';
import type { StoredPolicy } from '../store/policy-record.js';
import { evaluate } from './machine.js';
import { RolloutService } from './rollout-service.js';
import { MemoryRolloutStore } from './rollout-store.js';
import type { RolloutState } from './state.js';

const ROUTE = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions: [{ name: v1, weight: 100 }, { name: v2, weight: 0 }]
  rollout:
    candidate: v2
    steps: [{ weight: 10, for: 10m }]
    analysis: { minRequests: 10, errorRate: { max: 10% }, failureLimit: 1 }
`,
  'p.yaml',
)[0]!;

const ALICE: CallContext = {
  principal: { id: 'alice', kind: 'apikey', bindings: [{ role: 'operator', namespaces: ['*'] }] },
  from: 'test',
  via: 'http',
};

const NONE = { requests: 0, errors: 0, latencyBuckets: [] };
const BAD = { requests: 20, errors: 10, latencyBuckets: [] };

/** What the controller writes after judging a sample with this verdict. */
const judged =
  (verdict: 'inconclusive' | 'fail') =>
  (cur: RolloutState): RolloutState =>
    evaluate(cur.spec, cur, 1000, {
      outcome: verdict,
      gates: [{ gate: 'errorRate', outcome: verdict, detail: 'from the controller' }] as never,
      candidate: verdict === 'fail' ? BAD : NONE,
      stable: NONE,
    }).state;

/** A store whose next puts each let the controller write first. */
class RacedStore extends MemoryRolloutStore {
  races = 0;
  constructor(private readonly controller: (cur: RolloutState) => RolloutState) {
    super();
  }
  override async put(state: RolloutState, expected: number): Promise<number> {
    if (this.races > 0) {
      this.races--;
      const cur = (await this.get(state.route))!;
      await super.put(this.controller(cur.state), cur.revision);
    }
    return super.put(state, expected);
  }
}

function service(store: MemoryRolloutStore) {
  const policy: StoredPolicy = {
    namespace: 'default',
    name: 'fraud',
    revision: 1,
    record: {} as never,
    route: ROUTE,
  };
  const audit: AuditEvent[] = [];
  const svc = new RolloutService({
    store,
    policies: { get: async () => policy },
    audit: {
      append: async (e) => {
        audit.push(e);
        return {} as never;
      },
    },
    now: () => 500,
  });
  return { svc, audit };
}

describe('RolloutService', () => {
  it("decides a command again when the controller's sample landed first", async () => {
    const store = new RacedStore(judged('inconclusive'));
    const { svc, audit } = service(store);
    await svc.start(ALICE, 'default', 'fraud');
    store.races = 2;
    const view = await svc.command(ALICE, 'default', 'fraud', 'promote', 'looks good');
    expect(view.phase).toBe('succeeded');
    const state = (await store.get('default/fraud'))!.state;
    expect(state.phase).toBe('succeeded');
    // Both of the controller's samples are kept under the promotion: nothing was overwritten.
    expect(state.history.map((d) => d.outcome)).toEqual(['promoted', 'inconclusive', 'advance']);
    expect(audit.map((e) => e.reason)).toEqual([
      'start rollout fraud v2: step 1/1, 10 %',
      'rollout fraud v2: promoted by alice at step 1/1: looks good',
    ]);
  });

  it('refuses a command the newer state no longer allows, with its phase', async () => {
    const store = new RacedStore(judged('fail'));
    const { svc } = service(store);
    await svc.start(ALICE, 'default', 'fraud');
    store.races = 1;
    await expect(svc.command(ALICE, 'default', 'fraud', 'pause')).rejects.toMatchObject({
      code: 'SY_POLICY_CONFLICT',
      message: 'rollout default/fraud is failed: it cannot be told to pause',
    });
    expect((await store.get('default/fraud'))!.state.phase).toBe('failed');
  });

  it('starts over a finished rollout while the controller records its promotion hooks', async () => {
    const store = new RacedStore((cur) => ({ ...cur, hooksDone: true, generation: cur.generation + 1 }));
    const { svc, audit } = service(store);
    await svc.start(ALICE, 'default', 'fraud');
    await svc.command(ALICE, 'default', 'fraud', 'promote');
    store.races = 1;
    const view = await svc.start(ALICE, 'default', 'fraud', { reason: 'again' });
    expect(view).toMatchObject({ phase: 'progressing', step: 1 });
    expect((await store.get('default/fraud'))!.state.hooksDone).toBeUndefined();
    expect(audit.map((e) => e.reason).at(-1)).toBe('start rollout fraud v2: step 1/1, 10 %: again');
    expect(audit).toHaveLength(3);
  });

  it('gives up with the store conflict when every try loses', async () => {
    const store = new RacedStore(judged('inconclusive'));
    const { svc, audit } = service(store);
    await svc.start(ALICE, 'default', 'fraud');
    store.races = 100;
    const err = await svc.command(ALICE, 'default', 'fraud', 'abort').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyConflictError);
    expect((err as Error).message).toMatch(
      /^rollout default\/fraud changed meanwhile \(expected revision \d+\)$/,
    );
    expect(store.races).toBe(95);
    expect(audit).toHaveLength(2);
  });
});
