// Isolation per model, for one flavor: each model's own resources are checked on their own (PGV
// rules, encodability, references within the model) before they join a snapshot. A model that
// fails keeps its last good inputs (route and endpoint lists), so it keeps serving what it served
// before, or nothing if it never passed; every other model publishes as usual. The gate owns the
// last-good map; what is global (the shared gateway, the whole snapshot's consistency) stays the
// publisher's. Rules: docs/TRANSLATION.md, "Isolation per model".
import type { Issue } from '../../kernel/errors/index.js';
import { runSteps } from '../../kernel/runtime/steps.js';
import type { ModelRoute } from '../policy/index.js';
import { policyId } from '../policy/index.js';
import {
  type TranslateInput,
  type TranslateOptions,
  type TranslationCache,
  translateModel,
} from '../translate/index.js';
import { type EndpointInfo, type EndpointTable, endpointKey, type Flavor } from '../translate/types.js';
import { checkResourcesSteps } from '../validate/index.js';
import { routeClusters } from '../validate/references.js';
import type { SnapshotEncoder } from '../xds/cache/snapshot.js';

/** Why a model's current inputs were not published. */
export interface ModelFault {
  readonly model: string;
  readonly policy: string;
  readonly code: 'SY_RESOURCE_INVALID' | 'SY_SNAPSHOT_INCONSISTENT';
  readonly issues: readonly Issue[];
  /** When this fault was first seen (it is reported until the model passes again). */
  readonly since: string;
  /** What clients get for the model meanwhile. */
  readonly serving: 'last-good' | 'nothing';
}

/** A flavor's finding on one model's translated resources (a dry run's answer). */
export interface ModelCheck {
  readonly flavor: Flavor;
  readonly code: ModelFault['code'];
  readonly issues: readonly Issue[];
}

interface LastGood {
  readonly route: ModelRoute;
  readonly endpoints: ReadonlyMap<string, readonly EndpointInfo[]>;
}

interface Verdict {
  readonly parts: readonly object[];
  readonly fault?: Pick<ModelFault, 'code' | 'issues'>;
}

function sameParts(a: readonly object[], b: readonly object[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class ModelGate {
  private readonly lastGood = new Map<string, LastGood>();
  private readonly verdicts = new Map<string, Verdict>();
  private readonly faultsByModel = new Map<string, ModelFault>();

  /** `encoder`: the flavor's own, so what a model check encodes the snapshot build reuses. */
  constructor(
    readonly flavor: Flavor,
    private readonly options: Partial<TranslateOptions>,
    private readonly encoder: SnapshotEncoder,
    private readonly translation?: TranslationCache,
  ) {}

  /**
   * The translator's input for this flavor: every model whose resources pass, with its current
   * inputs; every model that fails, with its last good inputs if it has any. `now` stamps new
   * faults (the gate reads no clock). Returns the models that newly failed, for the metric.
   */
  admit(
    routes: readonly ModelRoute[],
    endpoints: EndpointTable,
    now: string,
  ): { input: TranslateInput; newFaults: ModelFault[] } {
    return runSteps(this.admitSteps(routes, endpoints, now));
  }

  /**
   * `admit`, yielding after each model and within a model's check after each resource (the
   * publisher slices its work there): a model at the size limits has about a hundred resources.
   */
  *admitSteps(
    routes: readonly ModelRoute[],
    endpoints: EndpointTable,
    now: string,
  ): Generator<void, { input: TranslateInput; newFaults: ModelFault[] }> {
    const admitted: ModelRoute[] = [];
    const table = new Map(endpoints);
    const seen = new Set<string>();
    const newFaults: ModelFault[] = [];
    for (const route of routes) {
      yield;
      const model = route.spec.model;
      seen.add(model);
      const fault = yield* this.check(route, endpoints);
      if (!fault) {
        this.lastGood.set(model, { route, endpoints: endpointsOf(route, endpoints) });
        this.faultsByModel.delete(model);
        admitted.push(route);
        continue;
      }
      const good = this.lastGood.get(model);
      const before = this.faultsByModel.get(model);
      const next: ModelFault = {
        model,
        policy: policyId(route),
        ...fault,
        since: before?.since ?? now,
        serving: good ? 'last-good' : 'nothing',
      };
      if (!before) newFaults.push(next);
      this.faultsByModel.set(model, next);
      if (good) {
        admitted.push(good.route);
        for (const [k, v] of good.endpoints) table.set(k, v);
      }
    }
    for (const m of [...this.lastGood.keys()]) if (!seen.has(m)) this.lastGood.delete(m);
    for (const m of [...this.faultsByModel.keys()]) if (!seen.has(m)) this.faultsByModel.delete(m);
    for (const m of [...this.verdicts.keys()]) if (!seen.has(m)) this.verdicts.delete(m);
    return { input: { routes: admitted, endpoints: table }, newFaults };
  }

  faults(): ModelFault[] {
    return [...this.faultsByModel.values()].sort((a, b) => (a.model < b.model ? -1 : 1));
  }

  /**
   * What `admit` would find for this route now, remembering nothing (a dry run): the gate's
   * last-good inputs and verdicts stay those of the policies actually served.
   */
  *inspectSteps(route: ModelRoute, endpoints: EndpointTable): Generator<void, Verdict['fault']> {
    const set = translateModel(route, endpoints, this.flavor, this.options);
    yield;
    return yield* this.judge(set);
  }

  /** The model's fault, or undefined; memoized on the identity of its translated resources. */
  private *check(route: ModelRoute, endpoints: EndpointTable): Generator<void, Verdict['fault']> {
    const set = translateModel(route, endpoints, this.flavor, this.options, this.translation);
    const parts: object[] = [...set.listeners, ...set.routes, ...set.clusters, ...set.endpoints];
    const memo = this.verdicts.get(route.spec.model);
    if (memo && sameParts(memo.parts, parts)) return memo.fault;
    yield;
    const fault = yield* this.judge(set);
    this.verdicts.set(route.spec.model, fault ? { parts, fault } : { parts });
    return fault;
  }

  private *judge(set: ReturnType<typeof translateModel>): Generator<void, Verdict['fault']> {
    const invalid = yield* checkResourcesSteps(set);
    if (invalid.length) return { code: 'SY_RESOURCE_INVALID', issues: invalid };
    // Envoy's per-model route configuration is a stand-in for the shared gateway one: it is
    // not encoded here (the gateway's is, at build), only followed to the model's clusters.
    const wrapped = this.flavor === 'envoy' ? set.routes : [];
    let issues: Issue[];
    try {
      issues = yield* this.encoder.precheckSteps(wrapped.length ? { ...set, routes: [] } : set);
    } catch (err) {
      // protobuf-es refuses values its wire type cannot hold (a NaN or negative uint32).
      return { code: 'SY_RESOURCE_INVALID', issues: [{ path: '', message: (err as Error).message }] };
    }
    const clusters = new Set(set.clusters.map((c) => c.name));
    for (const rc of wrapped)
      for (const c of routeClusters(rc))
        if (!clusters.has(c))
          issues.push({ path: `routes[${rc.name}]`, message: `routes to missing cluster "${c}"` });
    if (issues.some((i) => i.message === 'duplicate resource name' || i.message.includes('has no name')))
      return { code: 'SY_RESOURCE_INVALID', issues };
    if (issues.length) return { code: 'SY_SNAPSHOT_INCONSISTENT', issues };
    return undefined;
  }
}

function endpointsOf(route: ModelRoute, table: EndpointTable): Map<string, readonly EndpointInfo[]> {
  const out = new Map<string, readonly EndpointInfo[]>();
  for (const v of route.spec.versions) {
    const key = endpointKey(route.spec.model, v.name);
    const list = table.get(key);
    if (list) out.set(key, list);
  }
  return out;
}
