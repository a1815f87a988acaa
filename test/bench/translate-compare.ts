// Side by side, in one process: translate() of this checkout against another one (an earlier
// commit), alternately, on the translate bench's inputs (10,000 models x 3 versions x 10
// endpoints). Per flavor, the median CPU ms of
//  - a cold full translation (fresh route objects, a fresh TranslationCache: nothing memoized);
//  - a rebuild after one change (one model's route object replaced and one of its endpoint
//    arrays moved, with the cache of the full translation kept, as the publisher keeps one).
// CPU time, not wall time: on a shared machine wall time counts other processes' turns.
// Usage: npx tsx test/bench/translate-compare.ts <other checkout> [rounds]
// The other checkout needs protos/gen (link this one's) and node_modules. Not part of `make
// bench` (it needs a second tree); docs/TRANSLATION.md, "Incremental translation".
import { resolve } from 'node:path';
import type { ModelRoute } from '../../control-plane/policy/index.js';
import type { EndpointInfo, Flavor } from '../../control-plane/translate/index.js';
import * as HERE from '../../control-plane/translate/index.js';
import { collectGarbage } from '../helpers/collect-garbage.js';
import { benchEndpoint, benchRoute } from './translate-inputs.js';

type Translator = Pick<typeof HERE, 'translate' | 'TranslationCache'>;

const MODELS = 10_000;
const PICK = Math.floor(MODELS * 0.4242);
const otherDir = process.argv[2];
const ROUNDS = Number(process.argv[3] ?? 3);
if (!otherDir) throw new Error('usage: translate-compare.ts <other checkout> [rounds]');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const endpoint = (m: number, v: number, e: number, port = 8001) => benchEndpoint(m, v, e, port, true);

function inputs(): { routes: ModelRoute[]; table: Map<string, readonly EndpointInfo[]> } {
  const routes: ModelRoute[] = [];
  const table = new Map<string, readonly EndpointInfo[]>();
  for (let m = 0; m < MODELS; m++) {
    const route = benchRoute(m);
    routes.push(route);
    for (let v = 0; v < 3; v++)
      table.set(
        `model-${m}/v${v + 1}`,
        Array.from({ length: 10 }, (_, e) => endpoint(m, v, e)),
      );
  }
  return { routes, table };
}

/** One cold translation and five rebuilds after one change; CPU ms of both (rebuild: median). */
function measure(
  t: Translator,
  flavor: Flavor,
  routes: ModelRoute[],
  table: Map<string, readonly EndpointInfo[]>,
) {
  const fresh = routes.map((r) => ({ ...r, spec: { ...r.spec } }));
  collectGarbage();
  const cache = new t.TranslationCache();
  const full = cpuMs(() => t.translate({ routes: fresh, endpoints: table }, flavor, {}, cache));
  const rebuilds: number[] = [];
  for (let k = 0; k < 5; k++) {
    fresh[PICK] = { ...fresh[PICK]! };
    const moved = new Map(table);
    const key = `model-${PICK}/v2`;
    moved.set(key, [...table.get(key)!.slice(1), endpoint(PICK, 1, 0, 9000 + k)]);
    rebuilds.push(cpuMs(() => t.translate({ routes: fresh, endpoints: moved }, flavor, {}, cache)));
  }
  return { full, rebuild: median(rebuilds) };
}

async function main() {
  const other = (await import(resolve(otherDir!, 'control-plane/translate/index.ts'))) as Translator;
  const { routes, table } = inputs();
  const trees: Array<[string, Translator]> = [
    ['other', other],
    ['this', HERE],
  ];
  const got = new Map<string, { full: number[]; rebuild: number[] }>();
  for (let r = 0; r < ROUNDS; r++)
    for (const flavor of ['grpc', 'envoy'] as const)
      for (const [name, t] of trees) {
        const m = measure(t, flavor, routes, table);
        const key = `${flavor} ${name}`;
        if (!got.has(key)) got.set(key, { full: [], rebuild: [] });
        got.get(key)!.full.push(m.full);
        got.get(key)!.rebuild.push(m.rebuild);
        process.stdout.write(
          `  round ${r + 1} ${key}: full ${m.full.toFixed(0)} ms, rebuild ${m.rebuild.toFixed(1)} ms\n`,
        );
      }
  process.stdout.write(`\nmedian CPU ms of ${ROUNDS} rounds (other: ${otherDir})\n`);
  for (const flavor of ['grpc', 'envoy'] as const) {
    const o = got.get(`${flavor} other`)!;
    const h = got.get(`${flavor} this`)!;
    const line = (what: 'full' | 'rebuild') =>
      `${what} ${median(o[what]).toFixed(1)} -> ${median(h[what]).toFixed(1)} (x${(median(h[what]) / median(o[what])).toFixed(2)})`;
    process.stdout.write(`  ${flavor}: ${line('full')}; ${line('rebuild')}\n`);
  }
}

await main();
