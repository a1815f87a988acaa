// Benchmark child: the real XdsServer with one model's snapshot. It changes EDS or RDS on command
// and reports, for the new version, when each stream ACKed it (server clock, so no skew).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { SnapshotEncoder } from '../../../control-plane/xds/cache/snapshot.js';
import { SnapshotCache } from '../../../control-plane/xds/cache/snapshot-cache.js';
import { TYPE } from '../../../control-plane/xds/resource-types.js';
import { XdsServer } from '../../../control-plane/xds/server/ads-server.js';
import { modelSet } from '../../helpers/xds-resources.js';
import {
  type AckReport,
  type ChangeReport,
  cpuMs,
  epochMs,
  type MemSample,
  MODEL,
  type ServerCommand,
} from './protocol.js';

const cache = new SnapshotCache();
const encoder = new SnapshotEncoder();
let weights = [80, 20];
let port1 = 9001;
const target: Record<
  string,
  { version: string; at: number; cpuAt: number; latencies: number[]; written: number[] }
> = {};
const shortOf = (type: string) => (type === TYPE.EDS ? 'EDS' : type === TYPE.RDS ? 'RDS' : undefined);

function publish(): void {
  const set = modelSet(MODEL, {
    v1: { weight: weights[0]!, ports: [port1] },
    v2: { weight: weights[1]!, ports: [9002] },
  });
  const { snapshot } = encoder.build(set);
  cache.set('grpc', snapshot);
}

// XDS_BENCH_CHANNELZ=0: grpc-js's channelz off, for a side-by-side run (docs/XDS.md, "Memory per stream").
const server = new XdsServer({
  cache,
  ...(process.env.XDS_BENCH_CHANNELZ === '0' ? { grpcOptions: { 'grpc.enable_channelz': 0 } } : {}),
  callbacks: {
    onAck(_ctx, type, version) {
      const short = shortOf(type);
      const t = short && target[short];
      if (t && version === t.version) t.latencies.push(performance.now() - t.at);
    },
    // When the response carrying the new version was handed to grpc-js (built and written).
    onResponse(_ctx, type, version) {
      const short = shortOf(type);
      const t = short && target[short];
      if (t && version === t.version) t.written.push(performance.now() - t.at);
    },
  },
});

publish();
const port = await server.listen('127.0.0.1', 0);
process.send!({ ready: true, port });
// A clean exit on SIGINT lets --cpu-prof write its profile.
process.on('SIGINT', () => process.exit(0));

function mem(): MemSample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    streams: server.streamCount,
  };
}

// XDS_BENCH_CPU_PROF=dir: a V8 CPU profile of each change window (publish to last ACK) only.
const profDir = process.env.XDS_BENCH_CPU_PROF;
const inspector = profDir ? new Session() : undefined;
inspector?.connect();
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    inspector!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
  );
if (inspector) await post('Profiler.enable');
// The parent says which windows to profile (the last of each change type, past V8's warm-up).
let profileOpen: string | undefined;

process.on('message', async (msg: ServerCommand) => {
  if (msg.cmd === 'mem') process.send!(mem());
  else if (msg.cmd === 'heap') process.send!({ heap: writeHeapSnapshot(msg.file) });
  else if (msg.cmd === 'change') {
    if (msg.type === 'EDS') port1++;
    else weights = [weights[0]! - 1, weights[1]! + 1];
    const profiling = inspector && msg.profile;
    if (profiling) await post('Profiler.start');
    const url = msg.type === 'EDS' ? TYPE.EDS : TYPE.RDS;
    // The target is set before publishing: the first slice of streams is served right after it.
    const t = { version: '', at: 0, cpuAt: cpuMs(), latencies: [] as number[], written: [] as number[] };
    target[msg.type] = t;
    const cpu = process.cpuUsage();
    const atEpochMs = epochMs();
    t.at = performance.now();
    publish();
    const used = process.cpuUsage(cpu);
    t.version = cache.get('grpc')!.type(url).version;
    if (profiling) profileOpen = msg.type;
    const report: ChangeReport = {
      changed: msg.type,
      typeUrl: url,
      version: t.version,
      atEpochMs,
      publishMs: performance.now() - t.at,
      publishCpuMs: (used.user + used.system) / 1000,
    };
    process.send!(report);
  } else if (msg.cmd === 'await-acks') {
    const t = target[msg.type]!;
    const deadline = Date.now() + msg.timeoutMs;
    while (t.latencies.length < msg.count && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const used = cpuMs() - t.cpuAt;
    if (inspector && profileOpen === msg.type) {
      profileOpen = undefined;
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(
        join(
          profDir!,
          `server-${process.env.XDS_BENCH_LABEL || 'this'}-${msg.type}-${server.streamCount}.cpuprofile`,
        ),
        JSON.stringify(profile),
      );
    }
    const report: AckReport = {
      latenciesMs: t.latencies.slice(),
      writtenMs: t.written.slice(),
      cpuMs: used,
      expected: msg.count,
    };
    process.send!(report);
  }
});
