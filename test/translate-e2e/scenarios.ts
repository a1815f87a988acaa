// The scenarios that test/translate-e2e and test/ccore both run, one per client family: the
// xDS server and pods each suite starts, and the policies each scenario publishes. Keeping them
// here means both families are proven against the very same resources; each suite keeps its own
// client and its own assertions, since the families report answers and errors differently.
import { afterAll, beforeAll } from 'vitest';
import type { EndpointInfo } from '../../control-plane/translate/index.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { endpointOf, type Pod, policy, publishPolicy, startPod } from './harness.js';

export interface ScenarioWorld {
  /** The suite's xDS server; set once beforeAll has run. */
  readonly fx: XdsFixture;
  /** Start a pod that the suite closes at the end. */
  pod(version: string, name: string, host?: string): Promise<Pod>;
}

/**
 * One xDS server and the pods a suite starts, closed after all its tests. `beforeClose` runs
 * first: clients must end their streams before the server goes.
 */
export function scenarioWorld(beforeClose?: () => Promise<void>): ScenarioWorld {
  let fx: XdsFixture | undefined;
  const pods: Pod[] = [];
  beforeAll(async () => {
    fx = await startXds();
  });
  afterAll(async () => {
    await beforeClose?.();
    await Promise.all([fx?.close(), ...pods.map((p) => p.close())]);
  });
  return {
    get fx() {
      if (!fx) throw new Error('the xDS server is not started yet (use it inside a test)');
      return fx;
    },
    async pod(version, name, host) {
      const p = await startPod(version, name, host);
      pods.push(p);
      return p;
    },
  };
}

const at = (p: Pod) => `{ address: 127.0.0.1, port: ${p.port} }`;

/**
 * Model `pinned`: v1 takes all traffic, `x-cohort: beta` (exactly) goes to v2; with `goldTier`,
 * so does an `x-tier` starting with `gold` (a prefix matcher).
 */
export function pinnedPolicy(v1: Pod, v2: Pod, opts: { goldTier?: boolean } = {}): string {
  const gold = opts.goldTier ? '\n  - headers: { x-tier: { prefix: gold } }\n    version: v2' : '';
  return policy(
    'pinned',
    `versions:
  - { name: v1, weight: 100, endpoints: [${at(v1)}] }
  - { name: v2, weight: 0, endpoints: [${at(v2)}] }
match:
  - headers: { x-cohort: beta }
    version: v2${gold}`,
  );
}

/** Model `three`: versions a, b, c weighted 50/30/20. */
export function threeWayPolicy(a: Pod, b: Pod, c: Pod): string {
  return policy(
    'three',
    `versions:
  - { name: a, weight: 50, endpoints: [${at(a)}] }
  - { name: b, weight: 30, endpoints: [${at(b)}] }
  - { name: c, weight: 20, endpoints: [${at(c)}] }`,
  );
}

/** Model `live`: v1 and v2 at weights w1/w2; a live change republishes it with new weights. */
export function livePolicy(v1: Pod, v2: Pod, w1: number, w2: number): string {
  return policy(
    'live',
    `versions:
  - { name: v1, weight: ${w1}, endpoints: [${at(v1)}] }
  - { name: v2, weight: ${w2}, endpoints: [${at(v2)}] }`,
  );
}

/** Wait for a condition with a generous deadline (the machine is loaded); throws naming it. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The live change both families go through under load: 100/0, then 50/50 once v1 has taken 200
 * calls, then 0/100 once v2 has; resolves when v1 gets no more calls while v2 still does.
 */
export async function liveChange(fx: XdsFixture, v1: Pod, v2: Pod): Promise<void> {
  await until('v1 under load', () => v1.calls > 200);
  publishPolicy(fx, livePolicy(v1, v2, 50, 50));
  await until('the 50/50 split', () => v2.calls > 200);
  publishPolicy(fx, livePolicy(v1, v2, 0, 100));
  let last = v1.calls;
  await until('v1 drained', async () => {
    const before = v2.calls;
    await new Promise((r) => setTimeout(r, 200));
    const quiet = v1.calls === last && v2.calls > before;
    last = v1.calls;
    return quiet;
  });
}

/**
 * Models `resident` (regions ae-north, ae-south) and `stranded` (ae-north only), with endpoints
 * in ae-north, ae-south and us-east for the first and only us-east for the second: `resident`
 * must reach north and south only, `stranded` nothing at all.
 */
export function residencyScenario(
  north: Pod,
  south: Pod,
  foreign: Pod,
): { yaml: string; endpoints: Record<string, EndpointInfo[]> } {
  return {
    yaml: `${policy('resident', 'versions: [{ name: v1 }]\nresidency: { regions: [ae-north, ae-south] }')}---\n${policy(
      'stranded',
      'versions: [{ name: v1 }]\nresidency: { regions: [ae-north] }',
    )}`,
    endpoints: {
      'resident/v1': [
        endpointOf(north, { region: 'ae-north' }),
        endpointOf(south, { region: 'ae-south' }),
        endpointOf(foreign, { region: 'us-east' }),
      ],
      'stranded/v1': [endpointOf(foreign, { region: 'us-east' })],
    },
  };
}

/**
 * Model `ejector`: v1 on a good and a bad pod, v2 on a third, 50/50, no retries, and failure
 * percentage outlier detection strict enough to eject the bad pod within a few 500ms intervals.
 */
export function ejectorPolicy(good: Pod, bad: Pod, other: Pod): string {
  return policy(
    'ejector',
    `versions:
  - name: v1
    weight: 50
    endpoints: [${at(good)}, ${at(bad)}]
  - { name: v2, weight: 50, endpoints: [${at(other)}] }
retries: { attempts: 0 }
outlierDetection:
  failurePercentageThreshold: 50
  failurePercentageMinimumHosts: 2
  failurePercentageRequestVolume: 5
  interval: 500ms
  baseEjectionTime: 30s
  maxEjectionPercent: 50`,
  );
}

/** Model `flaky` on one pod, retried `attempts` times on UNAVAILABLE with a short backoff. */
export function flakyPolicy(flaky: Pod, attempts: number): string {
  return policy(
    'flaky',
    `versions: [{ name: v1, endpoints: [${at(flaky)}] }]
retries: { attempts: ${attempts}, on: [unavailable], backoff: { baseInterval: 10ms, maxInterval: 50ms } }`,
  );
}

/**
 * Keep `traffic` flowing until one round of it leaves `pod` alone: outlier detection only ejects
 * after enough calls across several of its intervals. Throws after `ms`.
 */
export async function untilLeftAlone(pod: Pod, traffic: () => Promise<unknown>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const before = pod.calls;
    await traffic();
    if (pod.calls === before) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pod.name} to be left alone`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
