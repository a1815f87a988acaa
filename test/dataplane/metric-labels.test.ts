// Metric labels stay bounded: model and version names in request URLs that the repository does
// not hold all count under one `_unknown` label, whatever callers send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { modelRepoCopy, startTestPod } from './harness.js';

describe('pod metric labels', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp']);
    pod = await startTestPod(repo.dir);
  });
  afterAll(async () => {
    await pod?.drain('SIGTERM');
    await repo?.cleanup();
  });

  it('count unknown models and versions from URLs under _unknown, one series each', async () => {
    const http = `http://127.0.0.1:${pod.ports.http}`;
    const infer = (path: string) =>
      fetch(`${http}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1], data: [0] }] }),
      });
    for (let i = 0; i < 25; i++) {
      expect((await infer(`/v2/models/no-such-model-${i}/infer`)).status).toBe(404);
      expect((await infer(`/v2/models/mlp/versions/9${i}/infer`)).status).toBeGreaterThanOrEqual(400);
    }
    const text = await (await fetch(`http://127.0.0.1:${pod.ports.metrics}/metrics`)).text();
    expect(text).not.toMatch(/no-such-model/);
    expect(text).not.toMatch(/version="9\d+"/);
    const series = text.split('\n').filter((l) => l.startsWith('switchyard_pod_inference_requests_total{'));
    expect(series).toContainEqual(
      expect.stringMatching(
        /^switchyard_pod_inference_requests_total\{model="_unknown",version="_unknown",outcome="[a-z_]+"\} 25$/,
      ),
    );
    expect(series).toContainEqual(
      expect.stringMatching(
        /^switchyard_pod_inference_requests_total\{model="mlp",version="_unknown",outcome="[a-z_]+"\} 25$/,
      ),
    );
    expect(series.length).toBeLessThanOrEqual(2);
  });
});
