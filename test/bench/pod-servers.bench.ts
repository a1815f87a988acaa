// What the pods' server Listeners (docs/ACCESS.md, "Pods as xDS-managed servers") cost a
// publish: the group `grpc+pod-server` as PodServerPublisher builds it (translate, PGV check of
// new Listeners, encode, consistency check), for POD_BENCH_MODELS models (default 1,000) on two
// pods each, all STRICT with identities. Medians of several runs: an unchanged publish, one
// model's identities changed (two Listeners), and every model's identities changed (every
// Listener rebuilt).
import { renderTable } from '../../control-plane/cli/table.js';
import { ControlPlaneMetrics } from '../../control-plane/metrics/control-plane-metrics.js';
import { PodServerPublisher } from '../../control-plane/pipeline/pod-server-publisher.js';
import { type ModelRoute, validatePolicy } from '../../control-plane/policy/index.js';
import { SnapshotCache } from '../../control-plane/xds/cache/snapshot-cache.js';
import type { Issue } from '../../kernel/errors/index.js';
import { createLogger } from '../../kernel/log/index.js';

const MODELS = Number(process.env.POD_BENCH_MODELS ?? 1000);

function route(i: number, team: string): ModelRoute {
  const issues: Issue[] = [];
  const ip = (net: number) => `10.${net}.${i >> 8}.${i & 255}`;
  const r = validatePolicy(
    {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: `m${i}` },
      spec: {
        model: `model-${i}`,
        mtls: 'STRICT',
        versions: [
          {
            name: 'v1',
            weight: 100,
            endpoints: [
              { address: ip(0), port: 8001 },
              { address: ip(1), port: 8001 },
            ],
          },
        ],
        access: {
          identities: [
            `spiffe://switchyard.local/ns/${team}/sa/app-${i % 7}`,
            'spiffe://switchyard.local/ns/batch/*',
          ],
        },
      },
    },
    issues,
  );
  if (!r) throw new Error(issues.map((x) => x.message).join('; '));
  return r;
}

const a = Array.from({ length: MODELS }, (_, i) => route(i, 'web'));
const b = Array.from({ length: MODELS }, (_, i) => route(i, 'crm'));
const oneChanged = [route(0, 'crm'), ...a.slice(1)];
const publisher = new PodServerPublisher(
  new SnapshotCache(),
  new ControlPlaneMetrics(),
  createLogger('bench', { level: 'error' }),
);
const empty = new Map();

/** Total and longest slice of one publish run as the sliced publisher runs it. */
function run(routes: readonly ModelRoute[]): { total: number; slice: number } {
  const steps = publisher.steps(routes, empty);
  let total = 0;
  let slice = 0;
  for (;;) {
    const t = performance.now();
    const next = steps.next();
    const d = performance.now() - t;
    total += d;
    slice = Math.max(slice, d);
    if (next.done) {
      if (!next.value) throw new Error(JSON.stringify(publisher.status().lastError));
      return { total, slice };
    }
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
function measure(n: number, pick: (k: number) => readonly ModelRoute[]): [string, string] {
  const runs = Array.from({ length: n }, (_, k) => run(pick(k)));
  return [median(runs.map((r) => r.total)).toFixed(1), median(runs.map((r) => r.slice)).toFixed(1)];
}

const first = measure(1, () => a);
const unchanged = measure(9, () => a);
const one = measure(9, (k) => (k % 2 ? a : oneChanged));
const all = measure(5, (k) => (k % 2 ? a : b));
const n = String(2 * MODELS);

process.stdout.write(
  `${renderTable(
    ['publish of grpc+pod-server', 'Listeners', 'total ms (median)', 'longest slice ms (median)'],
    [
      ['first (every Listener new)', n, ...first],
      ['unchanged', n, ...unchanged],
      ['one model changed (2 Listeners)', n, ...one],
      ['every model changed', n, ...all],
    ],
  )}\n`,
);
