// What the pod pays per observation for its per-request series: prom-client's Histogram and
// Counter children (looked up once per series, as the pod used them) against the pod's own
// (data-plane/metrics/fast-histogram.ts, fast-counter.ts). One process, the two alternating,
// median of ROUNDS of CPU time; a request is what the pod does per request at one row per
// batch: queue, batch size, compute and request duration observed, one counter inc.
// docs/DATAPLANE.md, "Metrics". METRICS_BENCH_CALLS (default 300,000) sizes a round.
import { Counter, Histogram, Registry } from 'prom-client';
import { renderTable } from '../../control-plane/cli/table.js';
import { FastCounter } from '../../data-plane/metrics/fast-counter.js';
import { FastHistogram } from '../../data-plane/metrics/fast-histogram.js';

const CALLS = Number(process.env.METRICS_BENCH_CALLS ?? 300_000);
const ROUNDS = 9;
const LATENCY = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const labels = { model: 'scorer', version: '1' };

// Request latencies of a small model under load: 0.3 to 30 ms, log-uniform, fixed seed.
let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const seconds = Float64Array.from({ length: 4096 }, () => 10 ** (rand() * 2 - 3.5));

/**
 * Each side brings its own loops (written out per side, not shared), so V8 sees one kind of
 * series at each call site, as in the pod, rather than timing a call site made megamorphic here.
 */
interface Side {
  observeLoop: (calls: number) => void;
  requestLoop: (calls: number) => void;
  text: () => Promise<string>;
}

function promClient(): Side {
  const registers = [new Registry()];
  const h = (name: string, buckets = LATENCY) =>
    new Histogram({ name, help: name, labelNames: ['model', 'version'], buckets, registers }).labels(labels);
  const [queue, compute, duration] = [h('q'), h('c'), h('d')];
  const batch = h('b', [1, 2, 4, 8, 16, 32, 64, 128, 256]);
  const requests = new Counter({
    name: 'r',
    help: 'r',
    labelNames: ['model', 'version', 'outcome'],
    registers,
  });
  const ok = requests.labels({ ...labels, outcome: 'success' });
  const o = h('o');
  return {
    observeLoop: (calls) => {
      for (let i = 0; i < calls; i++) o.observe(seconds[i & 4095]!);
    },
    requestLoop: (calls) => {
      for (let i = 0; i < calls; i++) {
        const s = seconds[i & 4095]!;
        queue.observe(s / 10);
        batch.observe(1);
        compute.observe(s / 2);
        ok.inc();
        duration.observe(s);
      }
    },
    text: () => registers[0]!.metrics(),
  };
}

function fast(): Side {
  const registers = [new Registry()];
  const h = (name: string, buckets = LATENCY) =>
    new FastHistogram({ name, help: name, labelNames: ['model', 'version'], buckets, registers }).labels(
      labels,
    );
  const [queue, compute, duration] = [h('q'), h('c'), h('d')];
  const batch = h('b', [1, 2, 4, 8, 16, 32, 64, 128, 256]);
  const requests = new FastCounter({
    name: 'r',
    help: 'r',
    labelNames: ['model', 'version', 'outcome'],
    registers,
  });
  const ok = requests.labels({ ...labels, outcome: 'success' });
  const o = h('o');
  return {
    observeLoop: (calls) => {
      for (let i = 0; i < calls; i++) o.observe(seconds[i & 4095]!);
    },
    requestLoop: (calls) => {
      for (let i = 0; i < calls; i++) {
        const s = seconds[i & 4095]!;
        queue.observe(s / 10);
        batch.observe(1);
        compute.observe(s / 2);
        ok.inc();
        duration.observe(s);
      }
    },
    text: () => registers[0]!.metrics(),
  };
}

/** CPU time per call: on a shared machine, wall time would count the time others ran. */
function timeNs(loop: (calls: number) => void): number {
  const t0 = process.cpuUsage();
  loop(CALLS);
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / CALLS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// The loop alone, to read the others against.
let sink = 0;
const harness: Side = {
  observeLoop: (calls) => {
    let x = 0;
    for (let i = 0; i < calls; i++) x += seconds[i & 4095]!;
    sink += x;
  },
  requestLoop: (calls) => {
    let x = 0;
    for (let i = 0; i < calls; i++) x += seconds[i & 4095]!;
    sink += x;
  },
  text: () => Promise.resolve(String(sink)),
};
const sides = { 'prom-client': promClient(), 'pod (fast)': fast(), 'harness only': harness };
const observeNs: Record<string, number[]> = {};
const requestNs: Record<string, number[]> = {};
for (const name of Object.keys(sides)) {
  observeNs[name] = [];
  requestNs[name] = [];
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, side] of Object.entries(sides)) {
    observeNs[name]!.push(timeNs(side.observeLoop));
    requestNs[name]!.push(timeNs(side.requestLoop));
  }
}
// Both saw the same values, so they render the same text.
const [a, b] = await Promise.all([sides['prom-client'].text(), sides['pod (fast)'].text()]);
const rows = Object.keys(sides).map((name) => [
  name,
  `${median(observeNs[name]!).toFixed(1)} ns`,
  `${median(requestNs[name]!).toFixed(1)} ns`,
  `${Math.min(...requestNs[name]!).toFixed(1)}-${Math.max(...requestNs[name]!).toFixed(1)} ns`,
]);
process.stdout.write(
  `${CALLS} calls per round, ${ROUNDS} rounds, medians\n${renderTable(
    ['series', 'histogram observe', 'per request (4 observes + inc)', 'per request, range'],
    rows,
  )}same text: ${a === b}\n`,
);
if (a !== b) process.exit(1);
