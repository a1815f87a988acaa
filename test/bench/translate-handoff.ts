// What handing the translate bench's endpoint table (10,000 models x 3 versions x 10 endpoints)
// to a worker thread would cost, beside a cold Envoy-flavor translation of the same inputs:
// structuredClone of the table, and postMessage until a worker has it. Translation in worker
// threads is the one way left to the 400 ms goal on two cores, and this says whether a build
// could ship its input to the worker each time (docs/TRANSLATION.md, "Worker threads").
//   npx tsx test/bench/translate-handoff.ts [rounds]
import { Worker } from 'node:worker_threads';
import type { ModelRoute } from '../../control-plane/policy/index.js';
import { type EndpointInfo, translate } from '../../control-plane/translate/index.js';
import { benchRoute, benchTable } from './translate-inputs.js';

const MODELS = 10_000;
const ROUNDS = Number(process.argv[2] ?? 5);

function routes(): ModelRoute[] {
  return Array.from({ length: MODELS }, (_, i) => benchRoute(i));
}

/** The translate bench's table: gRPC and HTTP ports, fresh arrays and objects each call. */
function table(): Map<string, readonly EndpointInfo[]> {
  return benchTable(MODELS);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const worker = new Worker(
  "require('node:worker_threads').parentPort.on('message', function (t) { this.postMessage(t.size); });",
  { eval: true },
);

function handOff(t: Map<string, readonly EndpointInfo[]>): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    worker.once('message', () => resolve(performance.now() - t0));
    worker.postMessage(t);
  });
}

const translated: number[] = [];
const cloned: number[] = [];
const posted: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // New route objects and arrays each round: the translator's memo (by identity) finds nothing.
  const input = { routes: routes(), endpoints: table() };
  let t0 = performance.now();
  translate(input, 'envoy');
  translated.push(performance.now() - t0);
  t0 = performance.now();
  structuredClone(input.endpoints);
  cloned.push(performance.now() - t0);
  posted.push(await handOff(input.endpoints));
  process.stdout.write(
    `round ${r + 1}/${ROUNDS}: cold Envoy translation ${translated.at(-1)!.toFixed(0)} ms, structuredClone of the table ${cloned.at(-1)!.toFixed(0)} ms, postMessage until the worker has it ${posted.at(-1)!.toFixed(0)} ms\n`,
  );
}
const tr = median(translated);
process.stdout.write(
  `medians: translation ${tr.toFixed(0)} ms; structuredClone ${median(cloned).toFixed(0)} ms (${(median(cloned) / tr).toFixed(2)}x of it); postMessage ${median(posted).toFixed(0)} ms (${(median(posted) / tr).toFixed(2)}x)\n`,
);
await worker.terminate();
