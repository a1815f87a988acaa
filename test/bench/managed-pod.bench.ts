// `npx tsx test/bench/run.ts managed-pod`: a managed pod loading a ~100 MB model version that was
// published as the registry publishes it (AES-256-GCM, data key sealed with the KEK, JetStream
// Object Store), measured side by side in one run, in turns:
//   download  cache emptied first: Object Store download + unseal + decrypt + sha256 verify +
//             write to the cache + session create
//   first     the first load from the pod's cache: its verified stamp checked (no re-hash)
//   cache     every later load from the cache
// By default the version's config is the default one: the cache keeps the model with its weights
// in a file ONNX Runtime maps (written with the download), and every load creates the session
// from it. BENCH_ORT=1 asks for the pre-optimized ORT-format file instead (written by the first
// load from the cache, used by the later ones); BENCH_PREPACK=0 turns weight prepacking off,
// BENCH_PREPACK=1 packs at load (before READY). By default (prepack unset) a load from the cache
// is READY without packing and the packed session follows in the background: the time from READY
// until it is swapped in is printed beside the loads (the version stays assigned until then).
// Each load is assigned by a PodAssignments message and timed inside the pod, from picking the
// assignment up to the version being READY; between loads the version is unassigned and unloaded.
// Goal: cache p99 <= 250 ms for a model of at most 100 MB.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { LoadTiming } from '../../data-plane/managed/managed-models.js';
import { GraphBuilder, heWeights, seededRandom } from '../../data-plane/models/onnx-builder.js';
import { Pod } from '../../data-plane/pod.js';
import { BUILTIN_MODEL_DEFAULTS } from '../../data-plane/repository/config.js';
import { percentile } from '../../data-plane/stats/window.js';
import { encodeAssignments, podSubjects } from '../../kernel/contract/index.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { type AssignedInit, publishArtifact } from '../helpers/artifacts.js';
import { managedPodUser, NatsServer } from '../helpers/nats-server.js';

const LOADS = Number(process.env.BENCH_LOADS ?? 10);
const POD = 'bench-managed';
const BUCKET = 'switchyard_artifacts';
const GOAL_CACHE_P99_MS = 250;

/** [1, 1024] x [1024, 24576] -> [1, 24576]: 24 M float weights, about 100 MB. */
function bigModel(): Uint8Array {
  const rand = seededRandom(5);
  const g = new GraphBuilder('managed_bench_100mb');
  const x = g.input('input', [1, 1024]);
  const w = g.weight('w', [1024, 24_576], heWeights(rand, 1024 * 24_576, 1024));
  g.op('MatMul', [x, w], {}, 'output');
  g.output('output', [1, 24_576]);
  return g.encode('Switchyard managed-pod benchmark model, about 100 MB of weights.');
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(s, 0.5).toFixed(1)} ms, p99 ${percentile(s, 0.99).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const nats = await NatsServer.start();
  const admin = await connect(nats.connectOptions());
  const cacheDir = await mkdtemp(join(tmpdir(), 'sy-bench-cache-'));
  const kek = KeyEncryptionKey.fromKeyBytes(randomBytes(32), 'bench KEK');
  let pod: Pod | undefined;
  const log = memoryLogger();
  try {
    const plain = bigModel();
    process.stdout.write(`model: ${(plain.length / 2 ** 20).toFixed(1)} MiB; ${LOADS} loads per mode\n`);
    const t0 = performance.now();
    // The version's config.yaml asks for the ORT-format file in the cache; BENCH_PREPACK=0 also
    // turns weight prepacking off (docs/DATAPLANE.md, "Cold loads").
    const prepackSetting = process.env.BENCH_PREPACK;
    const ortCache = process.env.BENCH_ORT === '1';
    const session = [
      ...(ortCache ? ['optimized_cache: true'] : []),
      ...(prepackSetting === '0' ? ['prepack: false'] : []),
      ...(prepackSetting === '1' ? ['prepack: true'] : []),
    ];
    const configYaml = session.length ? `session: { ${session.join(', ')} }\n` : '';
    process.stdout.write(`config.yaml: ${configYaml}`);
    const artifact: AssignedInit = await publishArtifact(admin, BUCKET, kek, {
      name: 'big',
      version: '1',
      plain,
      configYaml,
    });
    process.stdout.write(
      `published (encrypt + seal + Object Store put) in ${(performance.now() - t0).toFixed(0)} ms\n`,
    );
    const creds = await nats.addUser(managedPodUser(POD, BUCKET));
    const registration = new Promise<void>((resolve) => {
      admin.subscribe(podSubjects(POD).register, { max: 1, callback: () => resolve() });
    });
    await admin.flush();
    pod = await Pod.start({
      host: '127.0.0.1',
      httpPort: 0,
      grpcPort: 0,
      metricsPort: 0,
      podId: POD,
      region: 'bench',
      zone: 'bench-a',
      heartbeatIntervalMs: 1000,
      statsWindowMs: 10_000,
      modelDefaults: { ...BUILTIN_MODEL_DEFAULTS },
      disableBatching: false,
      injectDelayMs: 0,
      reportGpu: false,
      maxBodyBytes: 8 << 20,
      maxJsonBodyBytes: 8 << 20,
      drain: { graceMs: 0, timeoutMs: 5000 },
      repoPollMs: 1000,
      repoSettleMs: 500,
      nats: { url: nats.url, user: creds.user, pass: creds.pass },
      managed: { cacheDir, bucket: BUCKET, kek },
      log,
    });
    const managed = pod.managed!;
    // Seen on the server, not only queued by the pod: its subscription to assignments went out
    // before its registration on the same connection, so it is in place by now.
    await registration;
    let revision = 0n;
    const assign = async (versions: AssignedInit[]) => {
      revision += 1n;
      admin.publish(podSubjects(POD).assign, encodeAssignments({ podId: POD, revision, versions }));
      await admin.flush();
    };
    const packedMs: number[] = [];
    const loadOnce = async (): Promise<LoadTiming> => {
      const timing = new Promise<LoadTiming>((resolve) => {
        const off = managed.onLoaded((t) => {
          off();
          resolve(t);
        });
      });
      await assign([artifact]);
      let timer: NodeJS.Timeout | undefined;
      const t = await Promise.race([
        timing,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const v = pod!.models.get('big', '1');
            const tail = log.lines.slice(-8).join('\n');
            reject(
              new Error(`no load within 120 s: ${v?.state ?? 'absent'} ${v?.failureReason ?? ''}\n${tail}`),
            );
          }, 120_000);
        }),
      ]);
      clearTimeout(timer);
      const v = pod!.models.get('big', '1');
      if (v?.prepack === 'pending') {
        const t0 = performance.now();
        await v.prepacked;
        packedMs.push(performance.now() - t0);
        const state: string | undefined = pod!.models.get('big', '1')?.prepack;
        if (state !== 'packed') throw new Error(`weights not packed: ${log.lines.slice(-3).join('\n')}`);
      }
      await assign([]);
      const until = Date.now() + 30_000;
      while (pod!.models.get('big', '1') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      // Let the spare worker boot again, as it would between assignments in service.
      await new Promise((r) => setTimeout(r, 1000));
      return t;
    };
    const download: number[] = [];
    const first: number[] = [];
    const cache: number[] = [];
    const fetchOnly: number[] = [];
    const versionDir = join(cacheDir, 'big', '1');
    for (let i = 0; i < LOADS; i++) {
      await rm(join(cacheDir, 'big'), { recursive: true, force: true });
      const d = await loadOnce();
      if (d.fromCache) throw new Error('expected a download after emptying the cache');
      download.push(d.totalMs);
      fetchOnly.push(d.fetchMs);
      const f = await loadOnce();
      const kept = join(versionDir, ortCache ? 'model.ort' : 'model.weights');
      if (!f.fromCache || !existsSync(kept)) throw new Error(`expected a load from the cache, and ${kept}`);
      first.push(f.totalMs);
      const c = await loadOnce();
      if (!c.fromCache) throw new Error('expected a load from the cache');
      cache.push(c.totalMs);
      process.stdout.write(
        `round ${i + 1}/${LOADS}: download ${d.totalMs.toFixed(0)} ms, first from the cache ` +
          `${f.totalMs.toFixed(0)} ms, from the cache ${c.totalMs.toFixed(0)} ms\n`,
      );
    }
    const p50 = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        0.5,
      );
    const p99 = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        0.99,
      );
    // The model manager's own account of the last loads (session worker time, which file).
    const podLines = (l: string) => l.includes('ready in') || l.includes('packed in the background');
    for (const line of log.lines.filter(podLines).slice(-4))
      process.stdout.write(`  pod log: ${line.slice(0, 220)}\n`);
    process.stdout.write(`download + decrypt + verify + session create: ${summary(download)}\n`);
    process.stdout.write(
      `  of which download + unseal + decrypt + verify + cache write: ${summary(fetchOnly)}\n`,
    );
    process.stdout.write(
      `first load from the pod's cache (stamp check + session create${ortCache ? ' + ORT file written' : ', weights mapped'}): ${summary(first)}\n`,
    );
    process.stdout.write(
      `from the pod's cache (stamp check + session from ${ortCache ? 'the ORT-format file' : 'the mapped weights'}): ${summary(cache)}\n`,
    );
    if (packedMs.length)
      process.stdout.write(
        `weights packed in the background after READY (${packedMs.length} loads): ${summary(packedMs)}\n`,
      );
    process.stdout.write(`ratio first/cache (p50): ${(p50(first) / p50(cache)).toFixed(2)}x\n`);
    process.stdout.write(`ratio download/cache (p50): ${(p50(download) / p50(cache)).toFixed(2)}x\n`);
    const ok = p99(cache) <= GOAL_CACHE_P99_MS;
    process.stdout.write(
      `goal cache p99 <= ${GOAL_CACHE_P99_MS} ms: ${ok ? 'met' : 'NOT met'} (${p99(cache).toFixed(1)} ms)\n`,
    );
  } finally {
    await pod?.close();
    await admin.close();
    await nats.cleanup();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
