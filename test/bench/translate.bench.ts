// Benchmark of translation (docs/TRANSLATION.md): 10,000 models x 3 versions x 10 endpoints.
//  - full: every route seen for the first time (no memo hits), per flavor; time, the heap the
//    resulting ResourceSet holds, and the minor page faults taken meanwhile (on a VM they are
//    most of what a held megabyte costs: docs/TRANSLATION.md, "Held bytes");
//  - encode: every resource's bytes as the snapshot cache gets them (the bytes an assignment was
//    written as, the memo encoder's for a cluster, toBinary for the rest; the cache assembles
//    route configurations from per-route pieces instead, which this does not model);
//  - check: the PGV checker over the whole set (what the publisher runs before publishing);
//  - re-translate: translate() again after one endpoint changed (memo hits everywhere else);
//  - one endpoint: rebuild and re-encode only the affected ClusterLoadAssignment.
// Goals: full < 400 ms per flavor, one endpoint < 1 ms. Medians of several runs. Before/after
// comparisons of two trees: translate-compare.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { renderTable } from '../../control-plane/cli/table.js';
import type { ModelRoute } from '../../control-plane/policy/index.js';
import { encodingOf } from '../../control-plane/resources/index.js';
import { clusterBytes } from '../../control-plane/translate/encode/cluster-bytes.js';
import {
  type EndpointInfo,
  endpointKey,
  type Flavor,
  type ResourceSet,
  TranslationCache,
  translate,
  translateLoadAssignment,
} from '../../control-plane/translate/index.js';
import { checkResources } from '../../control-plane/validate/index.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { collectGarbage } from '../helpers/collect-garbage.js';
import { benchEndpoint, benchRoute, benchTable } from './translate-inputs.js';

const MODELS = Number(process.env.TRANSLATE_BENCH_MODELS ?? 10_000);
const VERSIONS = 3;
const ENDPOINTS = 10;
const RUNS = Number(process.env.TRANSLATE_BENCH_RUNS ?? 5);
const ONE_RUNS = 2000;
// TRANSLATE_BENCH_FULL_ONLY=1: only the full translation (its time, CPU and heap), for
// before/after runs of two trees side by side; the other columns print as '-'.
const FULL_ONLY = process.env.TRANSLATE_BENCH_FULL_ONLY === '1';
// TRANSLATE_BENCH_FLAVORS=envoy: one flavor only.
const FLAVORS = (process.env.TRANSLATE_BENCH_FLAVORS ?? 'grpc,envoy').split(',') as Flavor[];
// Pods advertise their KServe HTTP port as well as the gRPC one, so the Envoy flavor's REST
// clusters get endpoints too. TRANSLATE_BENCH_HTTP=0 leaves it out (every REST assignment
// empty), as this bench did before it modelled that.
const HTTP = process.env.TRANSLATE_BENCH_HTTP !== '0';
/** The model whose endpoints move in the incremental measurements. */
const PICK = Math.floor(MODELS * 0.4242);

const log = (s: string) => process.stdout.write(`${s}\n`);
const fixed = (x: number, digits: number) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function makeRoutes(): ModelRoute[] {
  return Array.from({ length: MODELS }, (_, i) => benchRoute(i));
}

function endpoint(m: number, v: number, e: number, port = 8001): EndpointInfo {
  return benchEndpoint(m, v, e, port, HTTP);
}

function makeTable(): Map<string, readonly EndpointInfo[]> {
  return benchTable(MODELS, HTTP);
}

function encodeAll(set: ResourceSet): number {
  let bytes = 0;
  const enc = (schema: DescMessage, list: readonly Message[]) => {
    for (const m of list) bytes += (encodingOf(m) ?? toBinary(schema, m)).length;
  };
  enc(ListenerSchema, set.listeners);
  enc(RouteConfigurationSchema, set.routes);
  for (const c of set.clusters) bytes += clusterBytes(c).length;
  enc(ClusterLoadAssignmentSchema, set.endpoints);
  return bytes;
}

function heapUsed(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

interface Row {
  flavor: Flavor;
  fullMs: number;
  fullCpuMs: number;
  fullMb: number;
  fullFaults: number;
  encodeMs: number;
  encodedMb: number;
  checkMs: number;
  retranslateMs: number;
  oneEndpointUs: number;
  resources: number;
}

function benchFlavor(flavor: Flavor, routes: ModelRoute[], table: Map<string, readonly EndpointInfo[]>): Row {
  const full: number[] = [];
  const cpu: number[] = [];
  const mem: number[] = [];
  const faults: number[] = [];
  const encode: number[] = [];
  const check: number[] = [];
  let encoded = 0;
  let set: ResourceSet | undefined;
  for (let r = 0; r < RUNS; r++) {
    // Fresh route objects: nothing memoized from an earlier run can be reused.
    const fresh = routes.map((x) => ({ ...x }));
    set = undefined;
    const before = heapUsed();
    const f0 = process.resourceUsage().minorPageFault;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    set = translate({ routes: fresh, endpoints: table }, flavor);
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    faults.push(process.resourceUsage().minorPageFault - f0);
    full.push(t1 - t0);
    // CPU time as well: on a shared machine wall time also counts other processes' turns.
    cpu.push((c.user + c.system) / 1000);
    mem.push(heapUsed() - before);
    if (FULL_ONLY) {
      log(
        `  ${flavor} run ${r + 1}/${RUNS}: full ${(t1 - t0).toFixed(0)} ms, cpu ${(cpu.at(-1) ?? 0).toFixed(0)} ms, ${faults.at(-1)} page faults`,
      );
      continue;
    }
    const t2 = performance.now();
    encoded = encodeAll(set);
    const t3 = performance.now();
    encode.push(t3 - t2);
    const issues = checkResources(set);
    if (issues.length) throw new Error(`PGV issues: ${JSON.stringify(issues.slice(0, 3))}`);
    check.push(performance.now() - t3);
    log(
      `  ${flavor} run ${r + 1}/${RUNS}: full ${(t1 - t0).toFixed(0)} ms, encode ${(t3 - t2).toFixed(0)} ms, check ${(performance.now() - t3).toFixed(0)} ms`,
    );
  }
  if (FULL_ONLY)
    return {
      flavor,
      fullMs: median(full),
      fullCpuMs: median(cpu),
      fullMb: median(mem) / 2 ** 20,
      fullFaults: median(faults),
      encodeMs: Number.NaN,
      encodedMb: Number.NaN,
      checkMs: Number.NaN,
      retranslateMs: Number.NaN,
      oneEndpointUs: Number.NaN,
      resources: set!.listeners.length + set!.routes.length + set!.clusters.length + set!.endpoints.length,
    };
  // Warm: the same route objects again, one endpoint moved, with a cache kept between calls as
  // the publisher keeps one.
  const warmRoutes = routes;
  const cache = new TranslationCache();
  translate({ routes: warmRoutes, endpoints: table }, flavor, {}, cache);
  const re: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const key = endpointKey(`model-${PICK}`, 'v2');
    const moved = new Map(table);
    moved.set(key, [...table.get(key)!.slice(1), endpoint(PICK, 1, 0, 9000 + r)]);
    const t0 = performance.now();
    translate({ routes: warmRoutes, endpoints: moved }, flavor, {}, cache);
    re.push(performance.now() - t0);
  }
  log(`  ${flavor} re-translate after one endpoint change: ${median(re).toFixed(1)} ms`);
  // One endpoint: rebuild the affected ClusterLoadAssignment and encode it.
  const route = warmRoutes[PICK]!;
  const key = endpointKey(route.spec.model, 'v3');
  const one: number[] = [];
  let moved = new Map(table);
  for (let r = 0; r < ONE_RUNS; r++) {
    moved = new Map([[key, [...table.get(key)!.slice(1), endpoint(PICK, 2, 0, 10_000 + r)]]]);
    const t0 = performance.now();
    const cla = translateLoadAssignment(route, 'v3', moved, flavor);
    encodingOf(cla) ?? toBinary(ClusterLoadAssignmentSchema, cla);
    one.push(performance.now() - t0);
  }
  log(`  ${flavor} one endpoint: ${(median(one) * 1000).toFixed(0)} µs (median of ${ONE_RUNS})`);
  return {
    flavor,
    fullMs: median(full),
    fullCpuMs: median(cpu),
    fullMb: median(mem) / 2 ** 20,
    fullFaults: median(faults),
    encodeMs: median(encode),
    encodedMb: encoded / 2 ** 20,
    checkMs: median(check),
    retranslateMs: median(re),
    oneEndpointUs: median(one) * 1000,
    resources: set!.listeners.length + set!.routes.length + set!.clusters.length + set!.endpoints.length,
  };
}

function main() {
  log(
    `translate bench: ${MODELS} models x ${VERSIONS} versions x ${ENDPOINTS} endpoints${HTTP ? ' (gRPC and HTTP ports)' : ' (gRPC ports only)'}, ${RUNS} runs`,
  );
  const t0 = performance.now();
  const routes = makeRoutes();
  const table = makeTable();
  log(`  inputs built in ${(performance.now() - t0).toFixed(0)} ms`);
  const rows = FLAVORS.map((f) => benchFlavor(f, routes, table));
  log('');
  log(
    renderTable(
      [
        'flavor',
        'resources',
        'full ms',
        'full cpu ms',
        'full heap MB',
        'full page faults',
        'encode ms',
        'encoded MB',
        'check ms',
        're-translate ms',
        'one endpoint µs',
      ],
      rows.map((r) => [
        r.flavor,
        String(r.resources),
        r.fullMs.toFixed(0),
        r.fullCpuMs.toFixed(0),
        r.fullMb.toFixed(0),
        String(r.fullFaults),
        fixed(r.encodeMs, 0),
        fixed(r.encodedMb, 1),
        fixed(r.checkMs, 0),
        fixed(r.retranslateMs, 1),
        fixed(r.oneEndpointUs, 0),
      ]),
    ),
  );
  log('goals: full < 400 ms; one endpoint (rebuild + encode one ClusterLoadAssignment) < 1000 µs');
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'translate.json'),
    JSON.stringify({ models: MODELS, versions: VERSIONS, endpoints: ENDPOINTS, rows }),
  );
}

main();
