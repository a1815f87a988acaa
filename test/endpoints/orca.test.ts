// ORCA load reports with client-side weighted round robin, with real pods and real grpc-js-xds
// clients: every ModelInfer answer of a pod carries its load in the `endpoint-load-metrics-bin`
// trailer, and with `proxylessBalancing: { mode: orca }` the clients weigh the pods by those
// reports alone. The tuner runs as usual, but the gRPC flavor's EDS then carries no tuned
// weights (every pod at 1), so plain round robin would give the 4x slower pod a quarter of the
// calls; under ORCA it gets measurably less, and the fast pods more.
import { create } from '@bufbuild/protobuf';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { EdsWatcher } from './eds-watch.js';
import {
  affineRepo,
  CLUSTER,
  MODEL,
  type ModelRepo,
  routeYaml,
  servedCounts,
  shares,
  sleep,
  startDiscoveryPlane,
  startNats,
  startPod,
} from './harness.js';
import { affineRequest, LoadGenerator, XdsInferenceClient } from './load.js';

type Infer = (req: unknown, cb: (err: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall;

const IDS = ['pod-a', 'pod-b', 'pod-c', 'pod-slow'] as const;
const SLOW = 3;
const FAST_MS = 10;

/** rps_fractional (6), eps (7) and application_utilization (9) of an xds.data.orca.v3.OrcaLoadReport. */
function readOrca(bytes: Uint8Array): { rps: number; eps: number; utilization: number } {
  const r = new BinaryReader(bytes);
  const out = { rps: 0, eps: 0, utilization: 0 };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 6) out.rps = r.double();
    else if (field === 7) out.eps = r.double();
    else if (field === 9) out.utilization = r.double();
    else r.skip(wire);
  }
  return out;
}

describe('ORCA load reports and client-side weighted round robin', () => {
  let nats: NatsServer | undefined;
  let repo: ModelRepo | undefined;
  let fx: ControlPlaneFixture | undefined;
  let eds: EdsWatcher | undefined;
  const pods: Pod[] = [];
  let clients: XdsInferenceClient[] = [];
  let load: LoadGenerator | undefined;

  beforeAll(async () => {
    nats = await startNats(IDS);
    repo = await affineRepo();
    fx = await startDiscoveryPlane(nats, {}, routeYaml('  proxylessBalancing: { mode: orca }'));
    for (const id of IDS)
      pods.push(await startPod(nats, repo, id, { injectDelayMs: id === 'pod-slow' ? 4 * FAST_MS : FAST_MS }));
    eds = new EdsWatcher(fx.xdsAddress, CLUSTER);
    await eds.waitFor('four endpoints', (u) => u.endpoints.length === 4);
  });
  afterAll(async () => {
    await load?.stop();
    for (const c of clients) c.close();
    eds?.close();
    for (const p of pods) await p.close();
    await fx?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('a pod answers ModelInfer with its load in the endpoint-load-metrics-bin trailer', async () => {
    const pod = pods[0]!;
    const Client = grpc.makeGenericClientConstructor(serviceDefinition(GRPCInferenceService), 'Inference');
    const client = new Client(`127.0.0.1:${pod.ports.grpc}`, grpc.credentials.createInsecure());
    try {
      const trailers: Uint8Array[] = [];
      for (let i = 0; i < 3; i++) {
        const bin = await new Promise<Uint8Array>((resolve, reject) => {
          const infer = (client as unknown as Record<string, Infer>).modelInfer!.bind(client);
          const call = infer(create(ModelInferRequestSchema, affineRequest()), (err) => {
            if (err) reject(err);
          });
          call.on('status', (s: grpc.StatusObject) => {
            const v = s.metadata.get('endpoint-load-metrics-bin')[0];
            v instanceof Buffer
              ? resolve(v)
              : reject(new Error(`no load report in ${JSON.stringify(s.metadata.toJSON())}`));
          });
        });
        trailers.push(bin);
      }
      const last = readOrca(trailers.at(-1)!);
      // At least the call itself in the last second, which took at least the injected 10 ms;
      // utilization is rate x (latency / 100 ms)^3, so the weight is (100 ms / latency)^3.
      expect(last.rps).toBeGreaterThanOrEqual(1);
      expect(last.eps).toBe(0);
      const latencyS = 0.1 * Math.cbrt(last.utilization / last.rps);
      expect(latencyS).toBeGreaterThanOrEqual(FAST_MS / 1000);
      expect(latencyS).toBeLessThan(5);
    } finally {
      client.close();
    }
  });

  it('EDS keeps the pods of a zone in one locality without tuned weights (the clients weigh them)', () => {
    // One locality of four endpoints at weight 1 each (the watcher lists the locality weight).
    expect(eds!.latest!.endpoints.map((e) => [e.subZone, e.weight])).toEqual(Array(4).fill(['', 4]));
  });

  it('the 4x slower pod gets measurably less than round robin would give it, the fast pods more', async () => {
    clients = [0, 1].map((i) => new XdsInferenceClient(fx!.xdsAddress, MODEL, `orca-${i}`));
    await Promise.all(clients.map((c) => c.infer(affineRequest())));
    load = new LoadGenerator(clients);
    load.start(6);
    // Reports arrive with the first answers; a few weight updates later the split has settled.
    await sleep(3000);
    const before = servedCounts(pods);
    await sleep(8000);
    const split = shares(pods, before);
    const calls = await load.stop();
    load = undefined;
    console.log(
      `served ${split.map((s) => `${(100 * s).toFixed(1)}%`).join(' / ')} (slow last), ` +
        `${calls.filter((c) => c.code !== null).length} failed of ${calls.length}`,
    );
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
    expect(eds!.latest!.endpoints.map((e) => e.weight)).toEqual([4, 4, 4, 4]);
    // Round robin: 25 % each, by construction (EDS weights are equal).
    expect(split[SLOW]!).toBeLessThan(0.15);
    expect(split[0]! + split[1]! + split[2]!).toBeGreaterThan(0.85);
    // Equal pods get comparable shares (weights do not follow each pod's own rate).
    for (let i = 0; i < SLOW; i++) expect(split[i]!).toBeGreaterThan(0.15);
  });
});
