// Benchmark of a whole publish (docs/XDS.md, "Publishing a small change"): the snapshot
// publisher at 10,000 models x 3 versions x 10 endpoints, every node group (two Envoy, three
// gRPC, the xDS-managed pods'), as the control plane runs it: admission per model, translation,
// the PGV check, encoding and the consistency check of each group. Per round, with a fresh
// publisher: a cold publish, then publishes after one endpoint changed its health and after one
// moved to another port (a pod address gone and one new). Medians of the rounds.
//   npx tsx test/bench/run.ts publish      PUBLISH_BENCH_MODELS=2000 PUBLISH_BENCH_ROUNDS=3
import { renderTable } from '../../control-plane/cli/table.js';
import { ControlPlaneMetrics } from '../../control-plane/metrics/control-plane-metrics.js';
import { SnapshotPublisher } from '../../control-plane/pipeline/snapshot-publisher.js';
import { endpointKey } from '../../control-plane/translate/index.js';
import { SnapshotCache } from '../../control-plane/xds/cache/snapshot-cache.js';
import { createLogger } from '../../kernel/log/index.js';
import { benchEndpoint, benchRoute, benchTable } from './translate-inputs.js';

const MODELS = Number(process.env.PUBLISH_BENCH_MODELS ?? 10_000);
const ROUNDS = Number(process.env.PUBLISH_BENCH_ROUNDS ?? 3);
const PICK = Math.floor(MODELS * 0.4242);

const log = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const table = benchTable(MODELS);
const key = endpointKey(`model-${PICK}`, 'v2');

function timed(
  publisher: SnapshotPublisher,
  routes: ReturnType<typeof benchRoute>[],
  t: typeof table,
): number {
  const t0 = performance.now();
  if (!publisher.publish(routes, t)) throw new Error('publish refused');
  return performance.now() - t0;
}

const cold: number[] = [];
const health: number[] = [];
const moved: number[] = [];
log(`publish bench: ${MODELS} models x 3 versions x 10 endpoints, ${ROUNDS} rounds`);
for (let r = 0; r < ROUNDS; r++) {
  const routes = Array.from({ length: MODELS }, (_, i) => benchRoute(i));
  const publisher = new SnapshotPublisher(
    new SnapshotCache(),
    new ControlPlaneMetrics(),
    createLogger('bench', { level: 'error' }),
  );
  cold.push(timed(publisher, routes, table));
  const sick = new Map(table);
  const list = table.get(key)!;
  sick.set(key, [{ ...list[0]!, health: 'UNHEALTHY' }, ...list.slice(1)]);
  health.push(timed(publisher, routes, sick));
  const away = new Map(sick);
  away.set(key, [...list.slice(1), benchEndpoint(PICK, 1, 0, 9000, true)]);
  moved.push(timed(publisher, routes, away));
  log(
    `  round ${r + 1}/${ROUNDS}: cold ${cold.at(-1)!.toFixed(0)} ms, health changed ${health.at(-1)!.toFixed(0)} ms, endpoint moved ${moved.at(-1)!.toFixed(0)} ms`,
  );
}
log('');
log(
  renderTable(
    ['models', 'cold publish ms', 'one endpoint health ms', 'one endpoint moved ms'],
    [[String(MODELS), median(cold).toFixed(0), median(health).toFixed(0), median(moved).toFixed(0)]],
  ),
);
