// The pod's histogram against prom-client's: the same observations give the same registry text,
// byte for byte, and the same JSON.
import { Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from './fast-histogram.js';

const BUCKETS = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label values the text format has to escape, or that a hash of joined labels could confuse. */
const AWKWARD = [
  { model: 'fraud', version: '1' },
  { model: 'back\\slash', version: 'new\nline' },
  { model: 'say "hi"', version: '2' },
  { model: 'a,version:b', version: 'c' },
  { model: 'ünï ☃', version: '' },
  { model: '_unknown', version: '_unknown' },
];

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values on, just above and between the bounds, below the first and above the last. */
function values(n: number, seed: number): number[] {
  const r = rng(seed);
  const out = [
    0,
    -0,
    -1,
    0.1 + 0.2,
    1e-9,
    1e9,
    10,
    10.000001,
    ...BUCKETS,
    ...BUCKETS.map((b) => b * (1 + 1e-12)),
  ];
  for (let i = 0; i < n; i++) out.push(r() < 0.5 ? r() * 0.02 : 10 ** (r() * 6 - 4));
  return out;
}

function pair<N extends 'model' | 'version' = 'model' | 'version'>(
  buckets = BUCKETS,
  labelNames: readonly N[] = ['model', 'version'] as N[],
) {
  const config = {
    name: 'switchyard_pod_request_duration_seconds',
    help: 'Help with "quotes", \\ and\nnewline',
    buckets,
  };
  const oldReg = new Registry();
  const newReg = new Registry();
  // A metric on either side keeps the order between metrics in view too.
  for (const registers of [[oldReg], [newReg]])
    new Gauge({ name: 'before', help: 'a gauge', registers }).set(3);
  const old = new Histogram({ ...config, labelNames, registers: [oldReg] });
  const fast = new FastHistogram({ ...config, labelNames, registers: [newReg] });
  for (const registers of [[oldReg], [newReg]])
    new Gauge({ name: 'after', help: 'a gauge', registers }).set(4);
  return { oldReg, newReg, old, fast };
}

async function expectSame(oldReg: Registry, newReg: Registry): Promise<void> {
  const [a, b] = await Promise.all([oldReg.metrics(), newReg.metrics()]);
  expect(b).toBe(a);
  expect(await newReg.getMetricsAsJSON()).toEqual(await oldReg.getMetricsAsJSON());
}

describe('FastHistogram', () => {
  it('renders the text and JSON prom-client renders for the same observations', async () => {
    const { oldReg, newReg, old, fast } = pair();
    // Series first observed in an order that is neither insertion of children nor sorted.
    const oldChildren = AWKWARD.map((l) => old.labels(l));
    const fastChildren = AWKWARD.map((l) => fast.labels(l));
    const order = [3, 0, 5, 1, 4, 2];
    const vs = values(2000, 7);
    vs.forEach((v, i) => {
      const k = order[i % order.length]!;
      oldChildren[k]!.observe(v);
      fastChildren[k]!.observe(v);
    });
    await expectSame(oldReg, newReg);
    const text = await newReg.metrics();
    expect(text).toContain(
      'switchyard_pod_request_duration_seconds_bucket{le="0.0002",model="fraud",version="1"}',
    );
    expect(text).toContain('model="back\\\\slash",version="new\\nline"');
    expect(text).toContain('model="say \\"hi\\""');
  });

  it('finds a series again by equal labels, in whatever key order they come', async () => {
    const { oldReg, newReg, old, fast } = pair();
    old.labels({ model: 'm', version: '1' }).observe(0.3);
    fast.labels({ model: 'm', version: '1' }).observe(0.3);
    old.labels({ version: '1', model: 'm' }).observe(0.004);
    fast.labels({ version: '1', model: 'm' }).observe(0.004);
    expect(fast.labels({ version: '1', model: 'm' })).toBe(fast.labels({ model: 'm', version: '1' }));
    await expectSame(oldReg, newReg);
  });

  it('renders no series that was looked up but never observed', async () => {
    const { oldReg, newReg, old, fast } = pair();
    old.labels({ model: 'idle', version: '1' });
    fast.labels({ model: 'idle', version: '1' });
    await expectSame(oldReg, newReg);
    expect(await newReg.getSingleMetricAsString('switchyard_pod_request_duration_seconds')).toBe(
      '# HELP switchyard_pod_request_duration_seconds Help with "quotes", \\\\ and\\nnewline\n' +
        '# TYPE switchyard_pod_request_duration_seconds histogram',
    );
  });

  it('takes bounds of any scale and order, as prom-client renders them', async () => {
    const buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];
    const small = [1e-7, 3e-7, 0.5, 123456789];
    for (const b of [buckets, small]) {
      const { oldReg, newReg, old, fast } = pair(b);
      const o = old.labels({ model: 'm', version: '1' });
      const f = fast.labels({ model: 'm', version: '1' });
      for (const v of [...b, 0, 3, 17, 1e-7, 2e-7, 999, 1e12, ...values(300, 11)]) {
        o.observe(v);
        f.observe(v);
      }
      await expectSame(oldReg, newReg);
    }
    const { newReg, fast } = pair([5, 1, 2]);
    fast.labels({ model: 'm', version: '1' }).observe(1.5);
    expect(await newReg.metrics()).toMatch(
      /le="1",model="m",version="1"} 0\n.*le="2",model="m",version="1"} 1\n/,
    );
  });

  it('renders a histogram without labels from the start, and not after a reset until observed', async () => {
    const { oldReg, newReg, old, fast } = pair<never>(BUCKETS, []);
    await expectSame(oldReg, newReg);
    old.observe(0.01);
    fast.labels({}).observe(0.01);
    await expectSame(oldReg, newReg);
    oldReg.resetMetrics();
    newReg.resetMetrics();
    await expectSame(oldReg, newReg);
    old.observe(2);
    fast.labels({}).observe(2);
    await expectSame(oldReg, newReg);
  });

  it('starts over after a reset, series ordered by their next observation', async () => {
    const { oldReg, newReg, old, fast } = pair();
    const a = { model: 'a', version: '1' };
    const b = { model: 'b', version: '1' };
    for (const [l, v] of [
      [a, 0.1],
      [b, 0.2],
    ] as const) {
      old.labels(l).observe(v);
      fast.labels(l).observe(v);
    }
    oldReg.resetMetrics();
    newReg.resetMetrics();
    await expectSame(oldReg, newReg);
    old.labels(b).observe(0.003);
    fast.labels(b).observe(0.003);
    old.labels(a).observe(7);
    fast.labels(a).observe(7);
    await expectSame(oldReg, newReg);
  });

  it('drops NaN and infinities, where prom-client throws, and renders as if they never came', async () => {
    const { oldReg, newReg, old, fast } = pair();
    const o = old.labels({ model: 'm', version: '1' });
    const f = fast.labels({ model: 'm', version: '1' });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => o.observe(bad)).toThrow(TypeError);
      expect(() => f.observe(bad)).not.toThrow();
    }
    // The series was never observed with a finite value, so neither side renders it yet.
    await expectSame(oldReg, newReg);
    o.observe(0.5);
    f.observe(0.5);
    f.observe(Number.NaN);
    await expectSame(oldReg, newReg);
    expect(await newReg.metrics()).toContain(
      'switchyard_pod_request_duration_seconds_sum{model="m",version="1"} 0.5\n',
    );
  });

  it('renders the same under an OpenMetrics registry', async () => {
    const oldReg = new Registry<RegistryContentType>();
    const newReg = new Registry<RegistryContentType>();
    oldReg.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    newReg.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const config = { name: 'h', help: 'h', buckets: BUCKETS, labelNames: ['model'] as const };
    const old = new Histogram({ ...config, registers: [oldReg] });
    const fast = new FastHistogram({ ...config, registers: [newReg] });
    for (const v of values(100, 3)) {
      old.labels({ model: 'x' }).observe(v);
      fast.labels({ model: 'x' }).observe(v);
    }
    expect(await newReg.metrics()).toBe(await oldReg.metrics());
  });
});
