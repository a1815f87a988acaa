// The pod's counter against prom-client's: the same increments give the same registry text,
// byte for byte, and the same JSON.
import { Counter, Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter } from './fast-counter.js';

type L = 'model' | 'version' | 'outcome';
const NAMES: readonly L[] = ['model', 'version', 'outcome'];

function pair<N extends L = L>(
  labelNames: readonly N[] = NAMES as N[],
  type: RegistryContentType = Registry.PROMETHEUS_CONTENT_TYPE,
) {
  const config = { name: 'switchyard_pod_inference_requests_total', help: 'Requests \\ by "outcome"\n' };
  const oldReg = new Registry<RegistryContentType>();
  const newReg = new Registry<RegistryContentType>();
  oldReg.setContentType(type);
  newReg.setContentType(type);
  const old = new Counter({ ...config, labelNames, registers: [oldReg] });
  const fast = new FastCounter({ ...config, labelNames, registers: [newReg] });
  return { oldReg, newReg, old, fast };
}

async function expectSame(
  oldReg: Registry<RegistryContentType>,
  newReg: Registry<RegistryContentType>,
): Promise<void> {
  expect(await newReg.metrics()).toBe(await oldReg.metrics());
  expect(await newReg.getMetricsAsJSON()).toEqual(await oldReg.getMetricsAsJSON());
}

describe('FastCounter', () => {
  it('renders the text and JSON prom-client renders for the same increments', async () => {
    const { oldReg, newReg, old, fast } = pair();
    const labels = [
      { model: 'fraud', version: '1', outcome: 'success' },
      { model: 'q"uo\\te', version: 'line\nbreak', outcome: 'shed' },
      { model: '_unknown', version: '_unknown', outcome: 'not_found' },
      { model: 'ünï', version: '', outcome: 'error' },
    ];
    const steps = [2, 0, 3, 0, 1, 2, 2, 1, 3, 0];
    for (const [i, k] of steps.entries()) {
      const by = i % 3 === 0 ? undefined : i % 3 === 1 ? 0.1 * i : 0;
      old.labels(labels[k]!).inc(by);
      fast.labels(labels[k]!).inc(by);
    }
    for (let i = 0; i < 1000; i++) {
      old.labels(labels[0]!).inc();
      fast.labels(labels[0]!).inc();
    }
    await expectSame(oldReg, newReg);
    expect(await newReg.metrics()).toContain(
      'switchyard_pod_inference_requests_total{model="q\\"uo\\\\te",version="line\\nbreak",outcome="shed"} 1.1\n',
    );
  });

  it('renders a series counted by zero, and none only looked up', async () => {
    const { oldReg, newReg, old, fast } = pair();
    old.labels({ model: 'a', version: '1', outcome: 'success' });
    fast.labels({ model: 'a', version: '1', outcome: 'success' });
    old.labels({ model: 'b', version: '1', outcome: 'success' }).inc(0);
    fast.labels({ model: 'b', version: '1', outcome: 'success' }).inc(0);
    await expectSame(oldReg, newReg);
    expect(await newReg.metrics()).not.toContain('model="a"');
  });

  it('drops negative and non-finite increments, where prom-client throws or adds a NaN', async () => {
    const { oldReg, newReg, old, fast } = pair();
    const l = { model: 'm', version: '1', outcome: 'success' };
    old.labels(l).inc();
    fast.labels(l).inc();
    for (const bad of [-1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => old.labels(l).inc(bad)).toThrow();
      expect(() => fast.labels(l).inc(bad)).not.toThrow();
    }
    await expectSame(oldReg, newReg);
    fast.labels(l).inc(Number.NaN);
    await expectSame(oldReg, newReg);
    old.labels(l).inc(Number.NaN);
    expect(await oldReg.metrics()).toContain('outcome="success"} Nan');
    expect(await newReg.metrics()).toContain('outcome="success"} 1\n');
  });

  it('renders a counter without labels from the start and after a reset', async () => {
    const { oldReg, newReg, old, fast } = pair<never>([]);
    await expectSame(oldReg, newReg);
    old.inc(5);
    fast.labels({}).inc(5);
    await expectSame(oldReg, newReg);
    oldReg.resetMetrics();
    newReg.resetMetrics();
    await expectSame(oldReg, newReg);
    expect(await newReg.metrics()).toContain('switchyard_pod_inference_requests_total 0\n');
  });

  it('starts over after a reset, series ordered by their next increment', async () => {
    const { oldReg, newReg, old, fast } = pair();
    const a = { model: 'a', version: '1', outcome: 'success' };
    const b = { model: 'b', version: '1', outcome: 'success' };
    for (const l of [a, b]) {
      old.labels(l).inc();
      fast.labels(l).inc();
    }
    oldReg.resetMetrics();
    newReg.resetMetrics();
    await expectSame(oldReg, newReg);
    for (const l of [b, a, b]) {
      old.labels(l).inc();
      fast.labels(l).inc();
    }
    await expectSame(oldReg, newReg);
  });

  it('renders the same under an OpenMetrics registry, which renames counters', async () => {
    const { oldReg, newReg, old, fast } = pair(NAMES, Registry.OPENMETRICS_CONTENT_TYPE);
    old.labels({ model: 'm', version: '1', outcome: 'success' }).inc(3);
    fast.labels({ model: 'm', version: '1', outcome: 'success' }).inc(3);
    for (let i = 0; i < 2; i++) expect(await newReg.metrics()).toBe(await oldReg.metrics());
  });
});
