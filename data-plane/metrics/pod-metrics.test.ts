// The pod's per-request series render what prom-client's Counter and Histograms rendered for the
// same traffic (the reference below is the pod's metrics as they were built with prom-client),
// and the serving path never throws on a value prom-client would refuse.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../stats/observer.js';
import { type GaugeSources, PodMetrics, UNKNOWN_LABEL } from './pod-metrics.js';

const LATENCY = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const MV = ['model', 'version'] as const;

/** The same series through prom-client, labelled as the pod labels them. */
function reference(known: () => Array<{ model: string; version: string }>) {
  const registers = [new Registry()];
  const requests = new Counter({
    name: 'switchyard_pod_inference_requests_total',
    help: 'Inference requests by model, version and outcome',
    labelNames: ['model', 'version', 'outcome'],
    registers,
  });
  const h = (name: string, help: string, buckets = LATENCY) =>
    new Histogram({ name, help, labelNames: MV, buckets, registers });
  const request = h(
    'switchyard_pod_request_duration_seconds',
    'Successful inference requests, admission to response',
  );
  const queue = h('switchyard_pod_queue_duration_seconds', 'Time requests waited in the batching queue');
  const compute = h('switchyard_pod_compute_duration_seconds', 'ONNX Runtime run time per batch');
  const batch = h(
    'switchyard_pod_batch_size',
    'Rows per ONNX Runtime run',
    [1, 2, 4, 8, 16, 32, 64, 128, 256],
  );
  const labels = (model: string, version: string) => {
    const k = known();
    if (!k.some((v) => v.model === model)) return { model: UNKNOWN_LABEL, version: UNKNOWN_LABEL };
    if (!k.some((v) => v.model === model && v.version === version)) return { model, version: UNKNOWN_LABEL };
    return { model, version };
  };
  return {
    registry: registers[0]!,
    queued: (m: string, v: string, ms: number) => queue.labels(labels(m, v)).observe(ms / 1000),
    batch: (m: string, v: string, rows: number, ms: number) => {
      batch.labels(labels(m, v)).observe(rows);
      compute.labels(labels(m, v)).observe(ms / 1000);
    },
    finished: (m: string, v: string, outcome: Outcome, ms: number) => {
      requests.labels({ ...labels(m, v), outcome }).inc();
      if (outcome === 'success') request.labels(labels(m, v)).observe(ms / 1000);
    },
  };
}

function sources(versions: Array<{ model: string; version: string }>): GaugeSources {
  return {
    versions: () => versions.map((v) => ({ ...v, queueDepth: 0, inFlight: 0, ready: true })),
    utilization: () => ({ cpuPercent: 12.5, gpuSimulated: false, rssBytes: 0 }),
  };
}

const NAMES = [
  'switchyard_pod_inference_requests_total',
  'switchyard_pod_request_duration_seconds',
  'switchyard_pod_queue_duration_seconds',
  'switchyard_pod_compute_duration_seconds',
  'switchyard_pod_batch_size',
];

async function text(r: Registry): Promise<string> {
  return (await Promise.all(NAMES.map((n) => r.getSingleMetricAsString(n)))).join('\n\n');
}

describe('PodMetrics', () => {
  it('renders the text prom-client rendered for the same traffic, unknown names and a repository change included', async () => {
    const versions = [
      { model: 'fraud', version: '1' },
      { model: 'fraud', version: '2' },
      { model: 'say "hi"\\', version: '7' },
    ];
    const pod = new PodMetrics(sources(versions), false);
    const ref = reference(() => versions);
    const outcomes: Outcome[] = ['success', 'success', 'shed', 'success', 'not_found', 'deadline', 'success'];
    const traffic: Array<[string, string]> = [
      ['say "hi"\\', '7'],
      ['fraud', '2'],
      ['nope', '1'],
      ['fraud', '9'],
      ['fraud', '1'],
    ];
    const run = (rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        const [m, v] = traffic[i % traffic.length]!;
        const outcome = outcomes[i % outcomes.length]!;
        const ms = ((i * 7919) % 3000) / 97;
        for (const t of [pod, ref]) t.queued(m, v, ms / 10);
        if (i % 3 === 0) {
          pod.batch(m, v, 1 + (i % 40), 1, ms / 3);
          ref.batch(m, v, 1 + (i % 40), ms / 3);
        }
        for (const t of [pod, ref]) t.finished(m, v, outcome, ms);
      }
    };
    run(500);
    expect(await text(pod.registry)).toBe(await text(ref.registry));
    // A version leaves the repository and a model arrives: labels are looked up again, and the
    // series already rendered stay where they were.
    versions.splice(1, 1, { model: 'nope', version: '1' });
    pod.forgetLabels();
    run(300);
    expect(await text(pod.registry)).toBe(await text(ref.registry));
    expect(await pod.registry.metrics()).toContain(
      'switchyard_pod_request_duration_seconds_bucket{le="0.0002",model="say \\"hi\\"\\\\",version="7"}',
    );
  });

  it('never throws on a non-finite duration, and leaves the series as they were', async () => {
    const pod = new PodMetrics(sources([{ model: 'm', version: '1' }]), false);
    pod.finished('m', '1', 'success', 12);
    const before = await text(pod.registry);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      pod.queued('m', '1', bad);
      pod.batch('m', '1', bad, 1, bad);
    }
    // The counter still counts the request; only its duration is dropped.
    pod.finished('m', '1', 'success', Number.NaN);
    const after = await text(pod.registry);
    expect(after).toBe(before.replace('outcome="success"} 1', 'outcome="success"} 2'));
    expect(after).not.toMatch(/queue_duration_seconds_count|batch_size_count/);
  });
});
