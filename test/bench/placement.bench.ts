// Placement decision time: 1,000 registry versions over 100 simulated managed pods (4 zones,
// 2 regions, a fifth of them GPU pods, memory limits that fit the fleet's demand with room to
// spare). Three runs side by side, each the median of PLACEMENT_BENCH_RUNS (default 9): a cold
// placement (no current assignments), a stable re-run (nothing changed) and a re-run after one
// pod died (its replicas re-placed). Goal: a cold placement under 1 s. docs/PLACEMENT.md.
import { renderTable } from '../../control-plane/cli/table.js';
import { place } from '../../control-plane/placement/placer.js';
import type { DemandedVersion, ManagedPod, PlacementInput } from '../../control-plane/placement/types.js';

const VERSIONS = Number(process.env.PLACEMENT_BENCH_VERSIONS ?? 1000);
const PODS = Number(process.env.PLACEMENT_BENCH_PODS ?? 100);
const RUNS = Number(process.env.PLACEMENT_BENCH_RUNS ?? 9);
const Mi = 1024 * 1024;

// A fixed pseudo-random sequence, so every run places the same fleet.
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

const versions: DemandedVersion[] = Array.from({ length: VERSIONS }, (_, i) => {
  const min = 1 + Math.floor(rand() * 2);
  return {
    key: `model-${i}.1`,
    model: `model-${i}`,
    version: '1',
    min,
    max: min + 2,
    desired: min + Math.floor(rand() * 3),
    device: i % 10 === 0 ? 'gpu' : 'any',
    regions: i % 7 === 0 ? ['eu-west'] : [],
    sizeBytes: Math.floor((5 + rand() * 195) * Mi),
  };
});
const pods: ManagedPod[] = Array.from({ length: PODS }, (_, i) => ({
  podId: `pod-${String(i).padStart(3, '0')}`,
  region: i % 2 === 0 ? 'eu-west' : 'us-east',
  zone: `zone-${i % 4}`,
  device: i % 5 === 0 ? 'gpu' : 'cpu',
  memoryLimitBytes: 16 * 1024 * Mi,
  load: rand(),
  draining: false,
  loaded: new Map(),
}));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(input: () => PlacementInput): { ms: number; result: ReturnType<typeof place> } {
  const times: number[] = [];
  let result: ReturnType<typeof place> | undefined;
  for (let i = 0; i < RUNS; i++) {
    const inp = input();
    const t0 = process.hrtime.bigint();
    result = place(inp);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: median(times), result: result! };
}

const asCurrent = (r: ReturnType<typeof place>) =>
  new Map([...r.assignments].map(([p, keys]) => [p, new Set(keys)]));

const cold = time(() => ({ versions, pods, current: new Map() }));
const current = asCurrent(cold.result);
const stable = time(() => ({ versions, pods, current }));
const survivors = pods.slice(1);
const podLost = time(() => ({ versions, pods: survivors, current }));

const replicas = cold.result.versions.reduce((n, v) => n + v.assigned.length, 0);
const unplaced = cold.result.versions.filter((v) => v.unplaced).length;
let moved = 0;
for (const [podId, keys] of stable.result.assignments) {
  const before = new Set(cold.result.assignments.get(podId));
  for (const k of keys) if (!before.has(k)) moved++;
}
let movedAfterLoss = 0;
for (const [podId, keys] of podLost.result.assignments) {
  const before = new Set(cold.result.assignments.get(podId));
  for (const k of keys) if (!before.has(k)) movedAfterLoss++;
}

process.stdout.write(
  `${VERSIONS} versions, ${PODS} pods, ${replicas} replicas placed, ${unplaced} versions short; median of ${RUNS} runs\n`,
);
process.stdout.write(
  `${renderTable(
    ['run', 'median ms', 'vs cold', 'replicas added or moved'],
    [
      ['cold (no assignments)', cold.ms.toFixed(1), '1.00', String(replicas)],
      ['stable (nothing changed)', stable.ms.toFixed(1), (stable.ms / cold.ms).toFixed(2), String(moved)],
      [
        `one pod lost (${pods[0]!.podId})`,
        podLost.ms.toFixed(1),
        (podLost.ms / cold.ms).toFixed(2),
        String(movedAfterLoss),
      ],
    ],
  )}\n`,
);
process.stdout.write(`goal: cold placement < 1000 ms: ${cold.ms < 1000 ? 'met' : 'NOT met'}\n`);
if (moved !== 0) {
  process.stderr.write('a stable re-run moved replicas\n');
  process.exit(1);
}
