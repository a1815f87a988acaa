// The scenario of every balancing suite: four real ONNX pods discovered over a real nats-server,
// one 4x slower than the rest (its injected delay), one ModelRoute served. The adaptive-weights
// suites of test/endpoints (grpc-js-xds) and test/ccore (gRPC C-core) run it with the default
// route, so both client families are proven against the very same pods, tuner and served
// weights; the ORCA and least-load suites run it with their `proxylessBalancing` route. Each
// suite brings its own clients and assertions.
import { afterAll, beforeAll } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { type EdsUpdate, EdsWatcher } from './eds-watch.js';
import {
  affineRepo,
  CLUSTER,
  type ModelRepo,
  routeYaml,
  servedCounts,
  shares,
  sleep,
  startDiscoveryPlane,
  startNats,
  startPod,
} from './harness.js';

export const FAST_MS = 8;
export const IDS = ['pod-a', 'pod-b', 'pod-c', 'pod-slow'] as const;
/** Index of the slow pod in `pods` and in every share list. */
export const SLOW = 3;

export interface AdaptiveWorld {
  readonly fx: ControlPlaneFixture;
  /** In IDS order. */
  readonly pods: readonly Pod[];
  /** The served EDS of the model's cluster (gRPC flavor: the weight of each pod's locality). */
  readonly eds: EdsWatcher;
}

export interface WorldOptions {
  /** The ModelRoute served (default: `routeYaml()`, the control plane's tuned weights). */
  readonly policy?: string;
  /** The fast pods' injected delay in ms (default FAST_MS); the slow pod's is 4x it. */
  readonly fastMs?: number;
}

/**
 * Starts the scenario before the suite's tests and ends it after them; `beforeClose` runs first
 * (clients end their streams before the control plane goes).
 */
export function adaptiveWorld(beforeClose?: () => Promise<void>, opts: WorldOptions = {}): AdaptiveWorld {
  const fastMs = opts.fastMs ?? FAST_MS;
  let nats: NatsServer | undefined;
  let repo: ModelRepo | undefined;
  let fx: ControlPlaneFixture | undefined;
  let eds: EdsWatcher | undefined;
  const pods: Pod[] = [];
  beforeAll(async () => {
    nats = await startNats(IDS);
    repo = await affineRepo();
    fx = await startDiscoveryPlane(nats, {}, opts.policy ?? routeYaml());
    for (const id of IDS)
      pods.push(await startPod(nats, repo, id, { injectDelayMs: id === 'pod-slow' ? 4 * fastMs : fastMs }));
    eds = new EdsWatcher(fx.xdsAddress, CLUSTER);
    await eds.waitFor('four endpoints', (u) => u.endpoints.length === 4);
  });
  afterAll(async () => {
    await beforeClose?.();
    eds?.close();
    for (const p of pods) await p.close();
    await fx?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the adaptive scenario is not started yet (use it inside a test)');
    return v;
  };
  return {
    get fx() {
      return started(fx);
    },
    pods,
    get eds() {
      return started(eds);
    },
  };
}

/**
 * The slow pod's share of the total weight in one EDS update; NaN (never above or below a bound)
 * while the pod has no weight of its own yet (not registered, or not tuned).
 */
export function slowShare(u: EdsUpdate): number {
  const slow = u.endpoints.find((e) => e.subZone === 'pod-slow');
  if (!slow) return Number.NaN;
  return slow.weight / u.endpoints.reduce((n, e) => n + e.weight, 0);
}

/** Served shares (what each pod counted) over the next `ms`. */
export async function measure(pods: readonly Pod[], ms: number): Promise<number[]> {
  const before = servedCounts(pods);
  await sleep(ms);
  return shares(pods, before);
}

/** Each pod's share of the total weight, averaged over [fromMs, toMs) by time in force. */
export function weightShares(updates: readonly EdsUpdate[], fromMs: number, toMs: number): number[] {
  const acc = IDS.map(() => 0);
  for (let i = 0; i < updates.length; i++) {
    const start = Math.max(fromMs, updates[i]!.atMs);
    const end = Math.min(toMs, updates[i + 1]?.atMs ?? toMs);
    if (end <= start) continue;
    const eps = updates[i]!.endpoints;
    const total = eps.reduce((n, e) => n + e.weight, 0);
    IDS.forEach((id, k) => {
      acc[k]! += ((end - start) * (eps.find((e) => e.subZone === id)?.weight ?? 0)) / total;
    });
  }
  return acc.map((x) => x / (toMs - fromMs));
}

export function fmt(xs: readonly number[]): string {
  return xs.map((x) => `${(100 * x).toFixed(1)}%`).join(' / ');
}
