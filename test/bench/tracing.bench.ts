// `npx tsx test/bench/run.ts tracing`: what tracing costs a pod, side by side in one run. Three
// `switchyard pod` processes serve the conv net (the model with the least compute per request, so
// a per-request cost shows most; BENCH_MODEL=mlp for the MLP): tracing off (no --otlp-endpoint), on with
// --trace-sampling 1 (every request traced: five spans exported), and on with --trace-sampling 0
// (context still parsed, nothing recorded). The on-pods export to a collector in this process
// that reads and drops what it gets. The three are measured in turns (window by window, so a
// burst of other work hits all alike; each round starts with the next mode) at concurrency 1 and 16 over gRPC (node:http2, one request
// encoded once, no traceparent, so the pod's own sampling decides); throughput is
// the median window, p50/p99 per request over all windows, and CPU per request is each pod
// process's CPU time (all threads) over the requests it served. Results also go to
// test/bench/results/tracing.json. docs/ACCESS.md, "Tracing", keeps the figures.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import http2 from 'node:http2';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import { Metadata } from '@grpc/grpc-js';
import { MLP } from '../../data-plane/models/catalog.js';
import { percentile } from '../../data-plane/stats/window.js';
import { PodTracer } from '../../data-plane/tracing/pod-tracer.js';
import { RequestScopes } from '../../data-plane/tracing/request-scope.js';
import { ModelInferRequestSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { modelRepoCopy } from '../dataplane/harness.js';
import { freePorts } from '../helpers/ports.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(here, '../../switchyard.mjs');
const CONCURRENCY = [1, 16] as const;
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 9);
const WINDOW_MS = 600;
const WARMUP_MS = 200;
const MODES = ['off', 'on-100%', 'on-0%'] as const;
type Mode = (typeof MODES)[number];

const MODELS: Record<string, { input: string; dims: readonly number[] }> = {
  convnet: { input: 'image', dims: [1, 28, 28] },
  mlp: { input: 'input', dims: [MLP.inputs] },
};
const MODEL = process.env.BENCH_MODEL ?? 'convnet';

const say = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Takes OTLP exports and drops them, counting bytes. */
async function sink(): Promise<{ port: number; exports: () => number; bytes: () => number; close(): void }> {
  let exports = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const port = await new Promise<number>((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)),
  );
  return { port, exports: () => exports, bytes: () => bytes, close: () => server.close() };
}

async function startPod(repo: string, extra: string[]): Promise<{ child: ChildProcess; grpc: number }> {
  const [http, grpcPort, metrics] = await freePorts(3);
  // biome-ignore format: flag pairs
  const child = spawn(process.execPath, [
    BIN, 'pod', '--model-repo', repo,
    '--http-port', String(http), '--grpc-port', String(grpcPort), '--metrics-port', String(metrics),
    '--drain-grace', '0ms', '--intra-op-threads', '1', ...extra,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: string) => {
      log += c;
      if (/pod \S+ serving/.test(log)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`pod exited (${code}):\n${log}`)));
  });
  return { child, grpc: grpcPort! };
}

/** One HTTP/2 session; each call is one ModelInfer with the pre-encoded body. */
function caller(port: number) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const call = (body: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = session.request({
        ':method': 'POST',
        ':path': '/inference.GRPCInferenceService/ModelInfer',
        'content-type': 'application/grpc',
        te: 'trailers',
        'x-request-id': 'bench',
      });
      let status: string | undefined;
      s.on('response', (h) => {
        status = h['grpc-status'] as string | undefined;
      });
      s.on('trailers', (t) => {
        status = (t['grpc-status'] as string | undefined) ?? status;
      });
      s.on('data', () => undefined);
      s.on('end', () => (status === '0' ? resolve() : reject(new Error(`grpc-status ${status}`))));
      s.on('error', reject);
      s.end(body);
    });
  return { call, close: () => session.close() };
}

/**
 * CPU time a process has used, all its threads together (ns, from /proc/<pid>/task/<tid>/schedstat;
 * Linux only, else NaN). On a shared machine this is the steadier measure of what a request costs
 * the pod: throughput swings with whatever else runs, the CPU a request takes much less.
 */
function cpuNs(pid: number): number {
  try {
    let ns = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns;
  } catch {
    return Number.NaN;
  }
}

async function window(concurrency: number, step: () => Promise<unknown>, pid: number) {
  const lat: number[] = [];
  let measuring = false;
  let done = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const t0 = performance.now();
      await step();
      if (measuring) {
        lat.push(performance.now() - t0);
        done++;
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const t0 = performance.now();
  const cpu0 = cpuNs(pid);
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const cpu = cpuNs(pid) - cpu0;
  const rate = done / ((performance.now() - t0) / 1000);
  const requests = done;
  measuring = false;
  stop = true;
  await Promise.all(loops);
  return { rate, lat, cpu, requests };
}

/**
 * In this process: what a request's scope costs the pod's serving thread, per request, with
 * tracing off and on (the hooks a request goes through; spans are made and queued, their export
 * shows in the pods' CPU figures instead). The "off" figure is all that this feature adds to a pod
 * started without --otlp-endpoint.
 */
function scopeCost(endpoint: string): Record<Mode, number> {
  const md = new Metadata();
  md.set('x-request-id', 'bench');
  const tracer = (ratio: number) =>
    new PodTracer({ endpoint, sampleRatio: ratio }, { version: 'bench', instanceId: 'bench' });
  const scopes: Record<Mode, RequestScopes> = {
    off: new RequestScopes({}),
    'on-100%': new RequestScopes({ tracer: tracer(1) }),
    'on-0%': new RequestScopes({ tracer: tracer(0) }),
  };
  const us = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
  for (let round = 0; round < 5; round++)
    for (const mode of MODES) {
      const n = 2000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const scope = scopes[mode].grpc({ metadata: md }, 'ModelInfer', 'convnet', '1');
        scope.resolved('convnet', '1');
        scope.queued();
        scope.dequeued(1, 1);
        scope.ran(0.01);
        scope.responding();
        scope.succeeded();
      }
      us[mode].push(((performance.now() - t0) * 1000) / n);
    }
  for (const s of Object.values(scopes)) void s.opts.tracer?.close();
  return Object.fromEntries(MODES.map((m) => [m, median(us[m])])) as Record<Mode, number>;
}

async function main(): Promise<void> {
  const bench = MODELS[MODEL];
  if (!bench) throw new Error(`BENCH_MODEL: ${MODEL} is not one of ${Object.keys(MODELS).join(', ')}`);
  const repo = await modelRepoCopy([MODEL]);
  const collector = await sink();
  const started: ChildProcess[] = [];
  const cells: Array<{
    mode: Mode;
    concurrency: number;
    throughput: number;
    p50: number;
    p99: number;
    cpuUsPerRequest: number;
  }> = [];
  try {
    say(
      `tracing benchmark: ${MODEL} over gRPC, c=${CONCURRENCY.join('/')}, ${WINDOWS} windows of ${WINDOW_MS} ms per mode ` +
        `(load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
    );
    const endpoint = `http://127.0.0.1:${collector.port}`;
    const flags: Record<Mode, string[]> = {
      off: [],
      'on-100%': ['--otlp-endpoint', endpoint, '--trace-sampling', '1'],
      'on-0%': ['--otlp-endpoint', endpoint, '--trace-sampling', '0'],
    };
    const callers = {} as Record<Mode, ReturnType<typeof caller>>;
    const pids = {} as Record<Mode, number>;
    for (const mode of MODES) {
      const pod = await startPod(repo.dir, flags[mode]);
      started.push(pod.child);
      callers[mode] = caller(pod.grpc);
      pids[mode] = pod.child.pid!;
    }
    const perRow = bench.dims.reduce((a: number, b) => a * b, 1);
    const request = create(ModelInferRequestSchema, {
      modelName: MODEL,
      modelVersion: '1',
      inputs: [{ name: bench.input, datatype: 'FP32', shape: [1n, ...bench.dims.map(BigInt)] }],
      rawInputContents: [new Uint8Array(new Float32Array(perRow).fill(0.5).buffer)],
    });
    const message = toBinary(ModelInferRequestSchema, request);
    const body = Buffer.alloc(5 + message.length);
    body.writeUInt32BE(message.length, 1);
    body.set(message, 5);
    for (const c of CONCURRENCY) {
      const acc = Object.fromEntries(
        MODES.map((m) => [m, { rates: [] as number[], lat: [] as number[], cpu: 0, requests: 0 }]),
      );
      for (let round = 0; round < WINDOWS; round++)
        // Each round starts with another mode, so none always follows the same neighbour.
        for (const mode of [...MODES.slice(round % 3), ...MODES.slice(0, round % 3)]) {
          const w = await window(c, () => callers[mode].call(body), pids[mode]);
          acc[mode]!.rates.push(w.rate);
          acc[mode]!.cpu += w.cpu;
          acc[mode]!.requests += w.requests;
          for (const l of w.lat) acc[mode]!.lat.push(l);
        }
      for (const mode of MODES) {
        const lat = acc[mode]!.lat.sort((a, b) => a - b);
        cells.push({
          mode,
          concurrency: c,
          throughput: median(acc[mode]!.rates),
          p50: percentile(lat, 0.5),
          p99: percentile(lat, 0.99),
          cpuUsPerRequest: acc[mode]!.cpu / 1000 / acc[mode]!.requests,
        });
      }
    }
    for (const mode of MODES) callers[mode].close();
    const sign = (x: number, digits: number) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
    const head =
      `${'mode'.padEnd(8)} ${'c'.padStart(3)} | ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ` +
      `${'p99 ms'.padStart(7)} ${'CPU us/req'.padStart(10)} | vs off: req/s, p50, CPU per request`;
    say(`\n${head}\n${'-'.repeat(head.length)}`);
    for (const cell of cells) {
      const off = cells.find((x) => x.mode === 'off' && x.concurrency === cell.concurrency)!;
      const dt = (100 * (cell.throughput - off.throughput)) / off.throughput;
      say(
        `${cell.mode.padEnd(8)} ${String(cell.concurrency).padStart(3)} | ${cell.throughput.toFixed(0).padStart(7)} ` +
          `${cell.p50.toFixed(3).padStart(7)} ${cell.p99.toFixed(3).padStart(7)} ${cell.cpuUsPerRequest.toFixed(0).padStart(10)} | ` +
          (cell.mode === 'off'
            ? '-'
            : `${sign(dt, 1)}%, ${sign(cell.p50 - off.p50, 3)} ms, ${sign(cell.cpuUsPerRequest - off.cpuUsPerRequest, 0)} us ` +
              `(${sign((100 * (cell.cpuUsPerRequest - off.cpuUsPerRequest)) / off.cpuUsPerRequest, 1)}%)`),
      );
    }
    const inProcess = scopeCost(`${endpoint}/v1/traces`);
    say(
      `\nrequest scope in-process, serving-thread time per request (median of 5 x 2,000): ` +
        MODES.map((m) => `${m} ${inProcess[m].toFixed(2)} us`).join(', '),
    );
    say(`\ncollector received ${collector.exports()} exports, ${(collector.bytes() / 1e6).toFixed(1)} MB`);
    const out = join(here, 'results');
    await mkdir(out, { recursive: true });
    const json = { at: new Date().toISOString(), model: MODEL, windows: WINDOWS, cells, scopeUs: inProcess };
    await writeFile(join(out, 'tracing.json'), `${JSON.stringify(json, null, 2)}\n`);
  } finally {
    for (const child of started) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    collector.close();
    await repo.cleanup();
  }
}

await main();
