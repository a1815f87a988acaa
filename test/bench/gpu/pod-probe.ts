// Asks a running pod (started with a repository whose configs ask for CUDA) what it serves, and
// times REST inference through it: the whole pod path, JSON decoding and batching included.
import type { TimedModel } from './session-timing.js';

async function waitReady(url: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function body(m: TimedModel, batch: number): string {
  const n = batch * m.row.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 1000);
  return JSON.stringify({ inputs: [{ name: m.input, shape: [batch, ...m.row], datatype: 'FP32', data }] });
}

export async function probePod(url: string, models: readonly TimedModel[], runs: number): Promise<string[]> {
  const lines: string[] = [];
  if (!(await waitReady(url, 60_000))) return [`pod at ${url} not ready within 60 s`];
  for (const m of models) {
    const meta = await fetch(`${url}/v2/models/${m.name}`).then((r) => r.text());
    lines.push(`pod ${m.name} metadata: ${meta}`);
    for (const batch of [1, m.maxBatch]) {
      const payload = body(m, batch);
      const times: number[] = [];
      let status = '';
      for (let i = 0; i < runs + 2; i++) {
        const t0 = performance.now();
        try {
          const r = await fetch(`${url}/v2/models/${m.name}/infer`, { method: 'POST', body: payload });
          const text = await r.text();
          status = r.ok ? `HTTP ${r.status}` : `HTTP ${r.status} ${text.slice(0, 200)}`;
        } catch (err) {
          status = `request failed: ${(err as Error).message} ${String((err as Error).cause ?? '')}`;
        }
        if (i >= 2) times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const p50 = times[Math.floor((times.length - 1) / 2)]!;
      lines.push(
        `pod ${m.name} REST infer batch ${batch}: ${status}, p50 ${p50.toFixed(3)} ms over ${times.length}`,
      );
    }
  }
  return lines;
}
