// `npx tsx test/bench/run.ts push-to-routable`: a ~100 MB model version from `switchyard models
// push` to answers through a proxyless client, with real processes: a nats-server with
// JetStream, a control plane with the registry on, three `switchyard pod --managed` processes,
// the CLI as a subprocess and a grpc-js-xds client dialing xds:///big. Per round a new version
// (same weights, so every round downloads the same bytes) is named by the ModelRoute with
// replicas 3, then pushed; measured from the start of the push:
//   push       the CLI's run: start, ONNX Runtime check, digest, encrypted chunked upload
//   ready      placement sees the version READY on all three pods
//   routable   the first answer through xds:///big that names the new version
// Goal: push-to-routable under 5 s. Each round also prints where the time went
// (push-timeline.ts): the push until the catalog record exists (upload, ONNX Runtime check) and
// until it is placeable (encrypt, Object Store put), placement's reaction (placeable to the
// first assignment), each pod's load (assigned to READY, with the pod's own phases) and READY
// to routable.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { renderTable } from '../../control-plane/cli/table.js';
import type { PlacementView } from '../../control-plane/placement/placement-runner.js';
import { GraphBuilder, heWeights, seededRandom } from '../../data-plane/models/onnx-builder.js';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
  type ModelInferResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { startApi } from '../api/fixture.js';
import { f32Bytes } from '../dataplane/harness.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/control-plane.js';
import { bootstrapFor } from '../helpers/xds-client.js';
import { type ManagedPodProcess, startManagedPod } from '../platform/managed-pod-process.js';
import { cpuMs, PushTimeline, podPhases } from './push-timeline.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GOAL_MS = 5000;
const KEK = new Uint8Array(32).fill(3);
const log = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function bigModel(): Uint8Array {
  const rand = seededRandom(5);
  const g = new GraphBuilder('push_bench_100mb');
  const x = g.input('input', [1, 1024]);
  const w = g.weight('w', [1024, 24_576], heWeights(rand, 1024 * 24_576, 1024));
  g.op('MatMul', [x, w], {}, 'output');
  g.output('output', [1, 24_576]);
  return g.encode('Switchyard push-to-routable benchmark model, about 100 MB of weights.');
}

const route = (version: string) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: big }
spec:
  model: big
  mtls: DISABLE
  versions:
    - { name: live, weight: 100, model: { registry: "big:${version}" }, replicas: { min: 3, max: 3 } }
`;

const KServe = grpc.makeGenericClientConstructor(serviceDefinition(GRPCInferenceService), 'KServe');

function inferOnce(client: grpc.Client): Promise<string> {
  const req = create(ModelInferRequestSchema, {
    modelName: 'big',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, 1024n] }],
    rawInputContents: [f32Bytes(new Float32Array(1024).fill(0.25))],
  });
  const fn = (client as unknown as Record<string, (...a: unknown[]) => void>).modelInfer!.bind(client);
  return new Promise((resolve, reject) =>
    fn(
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + 2000 },
      (err: grpc.ServiceError | null, res: ModelInferResponse) =>
        err ? reject(err) : resolve(res.modelVersion),
    ),
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sy-push-bench-'));
  const policies = join(dir, 'policies');
  await mkdir(policies);
  const file = join(dir, 'model.onnx');
  const bytes = bigModel();
  await writeFile(file, bytes);
  log(`model: ${(bytes.length / 2 ** 20).toFixed(1)} MiB; ${ROUNDS} rounds, 3 managed pods`);
  await writeFile(join(policies, 'big.yaml'), route('1'));
  // Two ~96 MiB versions live at once (the new one placed before the old one is deleted), and a
  // deleted object's space comes back only as JetStream compacts: room for a few rounds' worth.
  const fx = await startApi({ policyDir: policies, maxFileStore: 2 << 30 });
  const pods: ManagedPodProcess[] = [];
  const timeline = await PushTimeline.start(fx.nats, 'big');
  const client = new KServe('xds:///big', grpc.credentials.createInsecure(), {
    'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrapFor(fx.xdsAddress, 'push-bench'),
  });
  try {
    for (const zone of ['a', 'b', 'c'])
      pods.push(await startManagedPod(fx.nats, { podId: `pod-${zone}`, zone, dir, kek: KEK }));
    log('control plane and 3 managed pods up');
    const readyOn = async (v: string) => {
      const view = (await fx.cp.placement!.view()) as PlacementView;
      return view.versions.find((x) => x.model === 'big' && x.version === v)?.ready.length ?? 0;
    };
    const rows: string[][] = [];
    const push: number[] = [];
    const ready: number[] = [];
    const routable: number[] = [];
    const afterPush: number[] = [];
    const steps: string[][] = [];
    const cpuRows: string[][] = [];
    // The CPU each process spent in a round: the bench's own process (control plane, stopwatch,
    // client), the nats-server and each pod.
    const cpuOf = () => [process.pid, fx.nats.pid, ...pods.map((p) => p.proc.pid)].map(cpuMs);
    for (let r = 1; r <= ROUNDS; r++) {
      const v = String(r);
      if (r > 1) await writeFile(join(policies, 'big.yaml'), route(v));
      const cpu0 = cpuOf();
      const t0 = Date.now();
      const res = await runCli(['models', 'push', 'big', '--version', v, '-f', file], {
        SWITCHYARD_SERVER: fx.url,
        SWITCHYARD_API_KEY: fx.keys['operator-default'],
      });
      if (res.code !== 0) throw new Error(`push failed: ${res.stderr}`);
      const pushed = Date.now();
      await waitFor(async () => (await readyOn(v)) === 3, 180_000, `big:${v} READY on 3 pods`).catch(
        async (e) => {
          log(
            `READY on ${await readyOn(v)} of 3; placement: ${JSON.stringify(await fx.cp.placement!.view())}`,
          );
          const mk = timeline.mark(v);
          log(
            `seen: created ${mk.created}, placeable ${mk.placeable}, assigned ${[...mk.assigned.keys()]}, ready ${[...mk.ready.keys()]}`,
          );
          for (const p of pods) log(`--- ${p.podId}\n${p.stderr().slice(-1500)}`);
          throw e;
        },
      );
      const readyAt = Date.now();
      await waitFor(
        () =>
          inferOnce(client).then(
            (answered) => answered === v,
            () => false,
          ),
        120_000,
        `an answer from big:${v}`,
      );
      const routableAt = Date.now();
      const cpu = cpuOf().map((c, i) => c - cpu0[i]!);
      cpuRows.push([
        v,
        ...cpu.map((c) => String(Math.round(c))),
        String(Math.round(cpu.reduce((a, b) => a + b))),
      ]);
      push.push(pushed - t0);
      ready.push(readyAt - t0);
      routable.push(routableAt - t0);
      afterPush.push(routableAt - pushed);
      rows.push([
        v,
        String(pushed - t0),
        String(readyAt - t0),
        String(routableAt - t0),
        String(routableAt - pushed),
      ]);
      // The previous version is routed to no more: delete it, so the test server's JetStream
      // storage holds one artifact at a time.
      if (r > 1) {
        const del = await runCli(['models', 'delete', `big:${r - 1}`], {
          SWITCHYARD_SERVER: fx.url,
          SWITCHYARD_API_KEY: fx.keys['admin-default'],
        });
        if (del.code !== 0) throw new Error(`delete failed: ${del.stderr}`);
      }
      const m = timeline.mark(v);
      const at = (t: number | undefined) => (t === undefined ? '?' : String(t - t0));
      const lastAssigned = Math.max(...m.assigned.values());
      const lastReady = Math.max(...m.ready.values());
      const slowest = [...m.ready].sort((a, b) => b[1] - a[1])[0]?.[0];
      const phases = podPhases(pods.find((p) => p.podId === slowest)?.stderr() ?? '', 'big', v);
      steps.push([
        v,
        at(m.created),
        at(m.placeable),
        at(pushed),
        at(Math.min(...m.assigned.values())),
        at(lastAssigned),
        at(lastReady),
        `${phases.fetch ?? '?'}/${phases.cache ?? '?'}/${phases.session ?? '?'}`,
        at(readyAt),
        at(routableAt),
      ]);
      log(
        `round ${r}/${ROUNDS}: push ${pushed - t0} ms, READY on 3 ${readyAt - t0} ms, routable ${routableAt - t0} ms`,
      );
    }
    rows.push(['median', ...[push, ready, routable, afterPush].map((xs) => String(median(xs)))]);
    log(
      renderTable(
        ['version', 'push ms', 'READY on 3 ms', 'routable ms', 'push returned -> routable ms'],
        rows,
      ),
    );
    log('\nwhere the time went, each in ms from the start of the push (pod phases of the last pod READY):');
    log(
      renderTable(
        [
          'version',
          'record created',
          'placeable',
          'push returned',
          'first assigned',
          'last assigned',
          'last pod READY',
          'pod fetch/cache/session ms',
          'placement READY on 3',
          'routable',
        ],
        steps,
      ),
    );
    log(
      '\nCPU time spent from the push to routable, ms (the machine is shared: wall time is mostly waiting):',
    );
    log(
      renderTable(
        ['version', 'control plane + bench', 'nats-server', ...pods.map((p) => p.podId), 'all'],
        cpuRows,
      ),
    );
    const m = median(routable);
    log(
      `goal push-to-routable < ${GOAL_MS} ms: ${m < GOAL_MS ? 'met' : 'NOT met'} (median ${m} ms, ${median(afterPush)} ms after the push returned)`,
    );
  } finally {
    client.close();
    await timeline.close();
    for (const p of pods) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await Promise.all(pods.map((p) => p.exited));
    await fx.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
