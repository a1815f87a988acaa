// `npx tsx test/bench/run.ts dataplane`: per model, at concurrency 1, 16 and 64, side by side:
//   raw    in-process session.run, batched at the same size (min(concurrency, max_batch_size)):
//          what this machine can do at best
//   lean   a BASELINE server (test/bench/lean-server.ts, never shipped): node:http2, protobuf-es,
//          session.run on the main thread, batching what queued during a run, no validation:
//          what any Node gRPC server pays, so pod/lean is the cost of the pod's own design
//   pod    a `switchyard pod` process over gRPC (raw_input_contents), dynamic batching on
//   single a second pod process with --disable-batching
// The four are measured in turns (raw, lean, pod, single, raw, ...: three 1 s windows each), so
// a burst of other work on the machine hits all alike; throughput is the median window, p50/p99
// are per request (per run for raw) over all windows; each server's CPU per request (proc-cpu.ts)
// is summed over its windows. The goals (docs/DATAPLANE.md, "Against the lean server") are
// checked at the end. Results also go to test/bench/results/dataplane.json.
//
// The load generator speaks gRPC over node:http2 with a request encoded once by protobuf-es
// (only the 5-byte gRPC frame header is written here). grpc-js's client costs ~300 us of CPU per
// call on a 2-core VM, more than the pod itself, so with it the benchmark would measure the
// client; correctness against grpc-js is what test/dataplane/ covers. The transport floor (a
// ServerLive round trip) is measured too, to separate gRPC's cost from the pod's.
//
// Environment: BENCH_MODELS=mlp,ocr-cls runs only those; BENCH_POD_FLAGS='--intra-op-threads 1'
// passes flags to both pods (to compare configurations); BENCH_WINDOWS=5 takes more rounds;
// BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/p' profiles the pod and lean processes;
// BENCH_SINGLE=0 leaves the unbatched pod out; BENCH_ALT_FLAGS='--inline-budget-ms 0' adds a pod
// with those flags as the row `alt`, so one change is measured against the other in the same run;
// BENCH_ALT_BIN=/other/checkout/switchyard.mjs makes `alt` a pod of another checkout (main, say),
// so a change of code is measured the same way. BENCH_POD_BIN and BENCH_LEAN_BIN name bundled
// pod and lean-server scripts run with plain node (test/bench/gpu/dataplane.sh, on a machine
// with no tsx and no checkout).
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { MLP } from '../../data-plane/models/catalog.js';
import { ensureModelRepository } from '../../data-plane/models/generate.js';
import { percentile } from '../../data-plane/stats/window.js';
import {
  ModelInferRequestSchema,
  ServerLiveRequestSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { freePorts } from '../helpers/ports.js';
import { BENCH_ONLY_MODELS, writeBenchModel } from './dataplane-models.js';
import { type Cell, type Mode, report } from './dataplane-report.js';
import { processCpuMs } from './proc-cpu.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const BIN = process.env.BENCH_POD_BIN ?? join(here, '../../switchyard.mjs');
const LEAN_BIN = process.env.BENCH_LEAN_BIN;
const CONCURRENCY = [1, 16, 64] as const;
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 3);
const WINDOW_MS = 1000;
const WARMUP_MS = 200;
const ALT_BIN = process.env.BENCH_ALT_BIN;
const ALT_FLAGS =
  process.env.BENCH_ALT_FLAGS?.split(/\s+/).filter(Boolean) ?? (ALT_BIN !== undefined ? [] : undefined);
const MODES: readonly Mode[] = (['raw', 'lean', 'pod', 'alt', 'single'] as const).filter(
  (m) => (m !== 'single' || process.env.BENCH_SINGLE !== '0') && (m !== 'alt' || ALT_FLAGS !== undefined),
);

interface Bench {
  readonly model: string;
  readonly input: string;
  readonly dims: readonly number[];
  readonly maxBatch: number;
}
const ALL_MODELS: readonly Bench[] = [
  { model: 'scorer', input: 'features', dims: [37], maxBatch: BENCH_ONLY_MODELS.scorer.maxBatch },
  { model: 'mlp-1k', input: 'input', dims: [1024], maxBatch: BENCH_ONLY_MODELS['mlp-1k'].maxBatch },
  { model: 'mlp', input: 'input', dims: [MLP.inputs], maxBatch: 64 },
  { model: 'convnet', input: 'image', dims: [1, 28, 28], maxBatch: 32 },
  { model: 'ocr-cls', input: 'x', dims: [3, 48, 192], maxBatch: 16 },
];
const only = process.env.BENCH_MODELS?.split(',').filter(Boolean);
const MODELS = only ? ALL_MODELS.filter((m) => only.includes(m.model)) : ALL_MODELS;
const POD_FLAGS = (process.env.BENCH_POD_FLAGS ?? '').split(/\s+/).filter(Boolean);
/** Node's own flags for the pod and lean processes (BENCH_NODE_FLAGS='--cpu-prof', say). */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

const cells: Cell[] = [];
let floor = 0;

const say = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const perRow = (b: Bench) => b.dims.reduce((a, c) => a * c, 1);

interface Acc {
  rates: number[];
  lat: number[];
  /** Server CPU ms and requests answered over the windows where the CPU could be read. */
  cpuMs: number;
  cpuRequests: number;
}

function record(model: string, mode: Mode, concurrency: number, acc: Acc): void {
  const { rates, lat } = acc;
  lat.sort((a, b) => a - b);
  const cell: Cell = {
    model,
    mode,
    concurrency,
    throughput: median(rates),
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    ...(acc.cpuRequests > 0 ? { cpuUs: (1000 * acc.cpuMs) / acc.cpuRequests } : {}),
  };
  cells.push(cell);
  say(
    `  ${model.padEnd(8)} ${mode.padEnd(6)} c=${String(concurrency).padEnd(3)} ${cell.throughput.toFixed(0).padStart(7)} req/s  ` +
      `p50 ${cell.p50.toFixed(3)} ms  p99 ${cell.p99.toFixed(3)} ms` +
      (cell.cpuUs !== undefined ? `  cpu ${cell.cpuUs.toFixed(0)} µs/req` : ''),
  );
}

/**
 * One window: `step` in `concurrency` loops after a short warm-up; `rows` requests per call.
 * `pid`: the server process whose CPU time over the window is measured.
 */
async function window(concurrency: number, rows: number, step: () => Promise<unknown>, pid?: number) {
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
        done += rows;
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const cpu0 = processCpuMs(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const rate = done / ((performance.now() - t0) / 1000);
  const cpu1 = processCpuMs(pid);
  const cpuMs = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
  const requests = done;
  measuring = false;
  stop = true;
  await Promise.all(loops);
  return { rate, lat, cpuMs, requests };
}

async function startPod(
  repo: string,
  extra: string[],
  bin = BIN,
): Promise<{ child: ChildProcess; grpc: number }> {
  const [http, grpcPort, metrics] = await freePorts(3);
  // biome-ignore format: flag pairs
  const child = spawn(process.execPath, [
    ...NODE_FLAGS, bin, 'pod', '--model-repo', repo,
    '--http-port', String(http), '--grpc-port', String(grpcPort), '--metrics-port', String(metrics),
    '--drain-grace', '0ms', ...extra,
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

/** A lean gRPC caller: one HTTP/2 session, pre-encoded requests, status from the trailers. */
class GrpcLoad {
  private readonly session: http2.ClientHttp2Session;
  constructor(port: number) {
    this.session = http2.connect(`http://127.0.0.1:${port}`);
  }
  static frame(message: Uint8Array): Buffer {
    const b = Buffer.alloc(5 + message.length);
    b.writeUInt32BE(message.length, 1);
    b.set(message, 5);
    return b;
  }
  call(method: string, body: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = this.session.request({
        ':method': 'POST',
        ':path': `/inference.GRPCInferenceService/${method}`,
        'content-type': 'application/grpc',
        te: 'trailers',
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
  }
  close(): void {
    this.session.close();
  }
}

type Callers = Record<Exclude<Mode, 'raw'>, GrpcLoad>;
/** The server process behind each caller, whose CPU time is read per window. */
type Pids = Partial<Record<Mode, number>>;

/** Raw, lean, pod and unbatched pod in turns, for one model at one concurrency. */
async function benchCell(
  b: Bench,
  c: number,
  session: ort.InferenceSession,
  callers: Callers,
  pids: Pids,
): Promise<void> {
  const batch = Math.min(c, b.maxBatch);
  const x = new ort.Tensor('float32', new Float32Array(batch * perRow(b)).fill(0.5), [batch, ...b.dims]);
  const one = new Float32Array(perRow(b)).fill(0.5);
  const request = create(ModelInferRequestSchema, {
    modelName: b.model,
    modelVersion: '1',
    inputs: [{ name: b.input, datatype: 'FP32', shape: [1n, ...b.dims.map(BigInt)] }],
    rawInputContents: [new Uint8Array(one.buffer)],
  });
  const body = GrpcLoad.frame(toBinary(ModelInferRequestSchema, request));
  const step = (mode: Mode) =>
    mode === 'raw'
      ? // One run at a time: session.run occupies the cores; overlapping runs only queue.
        { concurrency: 1, rows: batch, step: () => session.run({ [b.input]: x }) }
      : { concurrency: c, rows: 1, step: () => callers[mode].call('ModelInfer', body) };
  const acc = Object.fromEntries(
    MODES.map((m): [Mode, Acc] => [m, { rates: [], lat: [], cpuMs: 0, cpuRequests: 0 }]),
  ) as Record<Mode, Acc>;
  for (let round = 0; round < WINDOWS; round++)
    for (const mode of MODES) {
      const s = step(mode);
      const w = await window(s.concurrency, s.rows, s.step, pids[mode]);
      acc[mode].rates.push(w.rate);
      for (const l of w.lat) acc[mode].lat.push(l);
      if (w.cpuMs !== undefined) {
        acc[mode].cpuMs += w.cpuMs;
        acc[mode].cpuRequests += w.requests;
      }
    }
  for (const mode of MODES) record(b.model, mode, c, acc[mode]);
}

/** The baseline server (lean-server.ts) in its own process, serving every benchmarked model. */
async function startLean(repo: string): Promise<{ child: ChildProcess; grpc: number }> {
  const [port] = await freePorts(1);
  const specs = MODELS.map((m) => `${m.model}=${join(repo, m.model, '1', 'model.onnx')}:${m.maxBatch}`);
  const child = spawn(
    process.execPath,
    [
      ...NODE_FLAGS,
      ...(LEAN_BIN ? [LEAN_BIN] : ['--import', 'tsx', join(here, 'lean-server.ts')]),
      String(port),
      ...specs,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: string) => {
      log += c;
      if (log.includes('lean serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lean server exited (${code}):\n${log}`)));
  });
  return { child, grpc: port! };
}

async function main(): Promise<void> {
  const source = await ensureModelRepository();
  const repo = await mkdtemp(join(tmpdir(), 'sy-bench-'));
  const started: ChildProcess[] = [];
  try {
    for (const b of MODELS)
      if (b.model in BENCH_ONLY_MODELS)
        await writeBenchModel(repo, b.model as keyof typeof BENCH_ONLY_MODELS);
      else await cp(join(source, b.model, '1'), join(repo, b.model, '1'), { recursive: true });
    say(
      `dataplane benchmark: ${MODELS.map((m) => m.model).join(', ')} at c=${CONCURRENCY.join('/')} ` +
        `(load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
    );
    say("raw: in-process session.run with the pod's session options (all cores, no spinning)");
    say('lean: the baseline server of test/bench/lean-server.ts (not shipped)');
    if (POD_FLAGS.length) say(`pod flags: ${POD_FLAGS.join(' ')}`);
    const lean = await startLean(repo);
    started.push(lean.child);
    const pod = await startPod(repo, POD_FLAGS);
    started.push(pod.child);
    const single = MODES.includes('single')
      ? await startPod(repo, [...POD_FLAGS, '--disable-batching'])
      : pod;
    if (single !== pod) started.push(single.child);
    const alt = ALT_FLAGS ? await startPod(repo, [...POD_FLAGS, ...ALT_FLAGS], ALT_BIN) : pod;
    if (alt !== pod) started.push(alt.child);
    if (ALT_FLAGS)
      say(`alt: a pod${ALT_BIN ? ` of ${ALT_BIN}` : ''} with ${ALT_FLAGS.join(' ') || 'the same flags'}`);
    const callers: Callers = {
      lean: new GrpcLoad(lean.grpc),
      pod: new GrpcLoad(pod.grpc),
      alt: new GrpcLoad(alt.grpc),
      single: new GrpcLoad(single.grpc),
    };
    const pids: Pids = {
      lean: lean.child.pid,
      pod: pod.child.pid,
      alt: alt.child.pid,
      single: single.child.pid,
    };
    const live = GrpcLoad.frame(toBinary(ServerLiveRequestSchema, create(ServerLiveRequestSchema)));
    const floorWindow = await window(1, 1, () => callers.pod.call('ServerLive', live));
    floor = percentile(
      floorWindow.lat.sort((a, b) => a - b),
      0.5,
    );
    say(`transport floor: ServerLive p50 ${floor.toFixed(3)} ms at c=1`);
    for (const b of MODELS) {
      const session = await ort.InferenceSession.create(join(repo, b.model, '1', 'model.onnx'), {
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      for (const c of CONCURRENCY) await benchCell(b, c, session, callers, pids);
      await session.release();
    }
    for (const caller of Object.values(callers)) caller.close();
    const models = MODELS.map((m) => m.model);
    say(`\n${report(cells, models, CONCURRENCY, MODES, floor).join('\n')}`);
    const out = join(here, 'results');
    await mkdir(out, { recursive: true });
    const json = { at: new Date().toISOString(), floor, cells };
    await writeFile(join(out, 'dataplane.json'), `${JSON.stringify(json, null, 2)}\n`);
  } finally {
    for (const child of started) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(repo, { recursive: true, force: true });
  }
}

await main();
