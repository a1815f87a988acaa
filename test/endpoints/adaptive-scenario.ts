// The adaptive-weights scenario that test/endpoints (grpc-js-xds) and test/ccore (gRPC C-core)
// both run: four real ONNX pods discovered over a real nats-server, the adaptive tuner on, one
// pod 4x slower than the rest (its injected delay). One definition, so both client families are
// proven against the very same pods, tuner and served weights; each suite brings its own client
// and assertions.
import { afterAll, beforeAll } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { type EdsUpdate, EdsWatcher } from './eds-watch.js';
import {
  affineRepo,
  CLUSTER,
  type ModelRepo,
  servedCounts,
  shares,
  sleep,
  startDiscoveryPlane,
  startNats,
  startPod,
} from './harness.js';

export const FAST_MS = 8;
export const SLOW_MS = 4 * FAST_MS;
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

/**
 * Starts the scenario before the suite's tests and ends it after them; `beforeClose` runs first
 * (clients end their streams before the control plane goes).
 */
export function adaptiveWorld(beforeClose?: () => Promise<void>): AdaptiveWorld {
  let nats: NatsServer | undefined;
  let repo: ModelRepo | undefined;
  let fx: ControlPlaneFixture | undefined;
  let eds: EdsWatcher | undefined;
  const pods: Pod[] = [];
  beforeAll(async () => {
    nats = await startNats(IDS);
    repo = await affineRepo();
    fx = await startDiscoveryPlane(nats);
    for (const id of IDS)
      pods.push(await startPod(nats, repo, id, { injectDelayMs: id === 'pod-slow' ? SLOW_MS : FAST_MS }));
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
