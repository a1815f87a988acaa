// `npx tsx test/bench/run.ts binary-rest`: one `switchyard pod` process, FP32 inputs of 4 KB,
// 64 KB and 1 MB per request, at concurrency 16, three ways side by side:
//   binary  HTTP/REST with the binary tensor data extension (JSON header + raw input bytes,
//           binary output asked for)
//   json    HTTP/REST with the same tensor as JSON `data`
//   grpc    KServe v2 gRPC with raw_input_contents
// The three are measured in alternating rounds (binary, json, grpc, binary, ...: BENCH_ROUNDS
// windows of BENCH_WINDOW_MS, 2 s, each after BENCH_WARMUP_MS, 1 s), so a burst of other work on the machine hits all alike; throughput is
// the median window, p50/p99 per request over all windows. Goal: binary REST >= 80 % of gRPC
// for every size. Results also go to test/bench/results/binary-rest.json.
//
// The model is deliberately cheap (x [N,K] . W [K,16]): the run costs little next to moving and
// decoding K floats, so the figures compare the protocols, not ONNX Runtime. Every request is
// encoded once up front and answers are read to the end but not decoded, in all three modes
// alike: the figures are the pod's, not the load generator's (which shares the cores).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import http2 from 'node:http2';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, toBinary } from '@bufbuild/protobuf';
import { GraphBuilder, heWeights, seededRandom } from '../../data-plane/models/onnx-builder.js';
import { percentile } from '../../data-plane/stats/window.js';
import { ModelInferRequestSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { freePorts } from '../helpers/ports.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(here, '../../switchyard.mjs');
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// A 1 MB JSON request takes about a second on a loaded 2-core machine: windows long enough
// for steady state even there.
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 2000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const GOAL = 0.8;
const MODES = ['binary', 'json', 'grpc'] as const;
type Mode = (typeof MODES)[number];
/** Input elements per request: 4 KB, 64 KB and 1 MB of FP32. */
const SIZES = [
  { label: '4KB', k: 1024 },
  { label: '64KB', k: 16_384 },
  { label: '1MB', k: 262_144 },
] as const;
const OUT = 16;

const say = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function wideModel(k: number): Uint8Array {
  const g = new GraphBuilder(`binary_rest_bench_${k}`);
  const x = g.input('x', ['batch', k]);
  const w = g.weight('w', [k, OUT], heWeights(seededRandom(k), k * OUT, k));
  g.op('MatMul', [x, w], {}, 'y');
  g.output('y', ['batch', OUT]);
  return g.encode(`Switchyard binary REST benchmark model: [N,${k}] . [${k},${OUT}].`);
}

/** One window: `step` in CONCURRENCY loops after a short warm-up. */
async function window(step: () => Promise<void>): Promise<{ rate: number; lat: number[] }> {
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
  const loops = Array.from({ length: CONCURRENCY }, loop);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const rate = done / ((performance.now() - t0) / 1000);
  measuring = false;
  stop = true;
  await Promise.all(loops);
  return { rate, lat };
}

async function startPod(repo: string): Promise<{ child: ChildProcess; http: number; grpc: number }> {
  const [httpPort, grpcPort, metrics] = await freePorts(3);
  // biome-ignore format: flag pairs
  const child = spawn(process.execPath, [
    BIN, 'pod', '--model-repo', repo,
    '--http-port', String(httpPort), '--grpc-port', String(grpcPort), '--metrics-port', String(metrics),
    '--drain-grace', '0ms',
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
  return { child, http: httpPort!, grpc: grpcPort! };
}

/** POSTs a pre-encoded body over keep-alive connections; the answer is read, not decoded. */
function httpPost(
  agent: http.Agent,
  port: number,
  path: string,
  body: Buffer,
  headers: http.OutgoingHttpHeaders,
) {
  return new Promise<void>((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { ...headers, 'content-length': body.length },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** gRPC over one HTTP/2 session with a pre-framed message; status from the trailers. */
function grpcCall(session: http2.ClientHttp2Session, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = session.request({
      ':method': 'POST',
      ':path': '/inference.GRPCInferenceService/ModelInfer',
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

interface Cell {
  size: string;
  mode: Mode;
  throughput: number;
  p50: number;
  p99: number;
  mbPerS: number;
}

async function main(): Promise<void> {
  const repo = await mkdtemp(join(tmpdir(), 'sy-binrest-'));
  let pod: Awaited<ReturnType<typeof startPod>> | undefined;
  const cells: Cell[] = [];
  try {
    for (const s of SIZES) {
      const dir = join(repo, `wide-${s.label.toLowerCase()}`, '1');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'model.onnx'), wideModel(s.k));
      await writeFile(join(dir, 'config.yaml'), 'max_batch_size: 16\n');
    }
    say(
      `binary REST benchmark: FP32 inputs of ${SIZES.map((s) => s.label).join(', ')} at c=${CONCURRENCY}, ` +
        `${ROUNDS} alternating rounds (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
    );
    pod = await startPod(repo);
    // A fresh agent per window: the pod closes keep-alive sockets idle for 5 s (the other modes'
    // windows), and reusing one as it closes is a client-side EPIPE, not the pod's doing.
    const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let agent = newAgent();
    // 16 streams of 1 MB outgrow node:http2's default 10 MB per session (ENHANCE_YOUR_CALM).
    const session = http2.connect(`http://127.0.0.1:${pod.grpc}`, { maxSessionMemory: 256 });
    for (const s of SIZES) {
      const model = `wide-${s.label.toLowerCase()}`;
      const x = new Float32Array(s.k);
      for (let i = 0; i < x.length; i++) x[i] = Math.fround(Math.sin(i * 0.37));
      const bytes = Buffer.from(x.buffer);
      const header = Buffer.from(
        JSON.stringify({
          inputs: [
            { name: 'x', datatype: 'FP32', shape: [1, s.k], parameters: { binary_data_size: bytes.length } },
          ],
          outputs: [{ name: 'y', parameters: { binary_data: true } }],
        }),
      );
      const binaryBody = Buffer.concat([header, bytes]);
      const jsonBody = Buffer.from(
        JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, s.k], data: Array.from(x) }] }),
      );
      const message = toBinary(
        ModelInferRequestSchema,
        create(ModelInferRequestSchema, {
          modelName: model,
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1n, BigInt(s.k)] }],
          rawInputContents: [bytes],
        }),
      );
      const grpcBody = Buffer.alloc(5 + message.length);
      grpcBody.writeUInt32BE(message.length, 1);
      grpcBody.set(message, 5);
      const path = `/v2/models/${model}/infer`;
      const steps: Record<Mode, () => Promise<void>> = {
        binary: () =>
          httpPost(agent, pod!.http, path, binaryBody, {
            'content-type': 'application/octet-stream',
            'inference-header-content-length': header.length,
          }),
        json: () => httpPost(agent, pod!.http, path, jsonBody, { 'content-type': 'application/json' }),
        grpc: () => grpcCall(session, grpcBody),
      };
      say(
        `  ${s.label}: bodies binary ${binaryBody.length} B, json ${jsonBody.length} B, grpc ${grpcBody.length} B`,
      );
      const acc = Object.fromEntries(
        MODES.map((m) => [m, { rates: [] as number[], lat: [] as number[] }]),
      ) as Record<Mode, { rates: number[]; lat: number[] }>;
      for (let round = 0; round < ROUNDS; round++)
        for (const mode of MODES) {
          agent.destroy();
          agent = newAgent();
          const w = await window(steps[mode]);
          acc[mode].rates.push(w.rate);
          acc[mode].lat.push(...w.lat);
        }
      for (const mode of MODES) {
        const lat = acc[mode].lat.sort((a, b) => a - b);
        const throughput = median(acc[mode].rates);
        cells.push({
          size: s.label,
          mode,
          throughput,
          p50: percentile(lat, 0.5),
          p99: percentile(lat, 0.99),
          mbPerS: (throughput * bytes.length) / 1e6,
        });
      }
    }
    session.close();
    agent.destroy();
    say(`\n${report(cells).join('\n')}`);
    const out = join(here, 'results');
    await mkdir(out, { recursive: true });
    await writeFile(
      join(out, 'binary-rest.json'),
      `${JSON.stringify({ at: new Date().toISOString(), concurrency: CONCURRENCY, rounds: ROUNDS, cells }, null, 2)}\n`,
    );
  } finally {
    if (pod) {
      pod.child.kill('SIGTERM');
      await new Promise((r) => pod!.child.once('exit', r));
    }
    await rm(repo, { recursive: true, force: true });
  }
}

function report(cells: readonly Cell[]): string[] {
  const at = (size: string, mode: Mode) => cells.find((c) => c.size === size && c.mode === mode)!;
  const f = (c: Cell) =>
    `${c.throughput.toFixed(0).padStart(7)} ${c.p50.toFixed(2).padStart(7)} ${c.p99.toFixed(2).padStart(7)}`;
  const head = `${'input'.padEnd(5)} | ${'binary req/s'.padStart(12)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} | ${'json req/s'.padStart(10)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} | ${'grpc req/s'.padStart(10)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} | ${'bin/grpc'.padStart(8)} ${'bin/json'.padStart(8)}`;
  const lines = [head, '-'.repeat(head.length)];
  for (const s of SIZES) {
    const [b, j, g] = MODES.map((m) => at(s.label, m)) as [Cell, Cell, Cell];
    lines.push(
      `${s.label.padEnd(5)} | ${f(b).padStart(28)} | ${f(j).padStart(26)} | ${f(g).padStart(26)} | ` +
        `${`${((100 * b.throughput) / g.throughput).toFixed(0)}%`.padStart(8)} ${(j.throughput ? `${(b.throughput / j.throughput).toFixed(1)}x` : 'n/a').padStart(8)}`,
    );
  }
  lines.push('', 'goal (docs/DATAPLANE.md, "Binary tensor data"):');
  for (const s of SIZES) {
    const ratio = at(s.label, 'binary').throughput / at(s.label, 'grpc').throughput;
    lines.push(
      `  ${s.label}: binary REST at ${(100 * ratio).toFixed(0)}% of gRPC (goal >= ${100 * GOAL}%): ${ratio >= GOAL ? 'met' : 'MISSED'}`,
    );
  }
  lines.push(`  load average now ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
  return lines;
}

await main();
