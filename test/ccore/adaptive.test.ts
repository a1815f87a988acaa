// Adaptive weights from discovered pods under gRPC C-core traffic: the scenario of
// test/endpoints/adaptive.test.ts (four real ONNX pods registered over a real nats-server, the
// adaptive tuner on, one pod 4x slower) with python3-grpcio dialing xds:///affine and calling
// KServe v2 ModelInfer. The tuner lowers the slow pod's weight (seen as an EDS event), and the
// C-core client's share to that pod falls with it and follows the served weights; once the delay
// is gone the weight and the share come back.
import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ModelInferRequestSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import {
  adaptiveWorld,
  FAST_MS,
  fmt,
  IDS,
  measure,
  SLOW,
  slowShare,
  weightShares,
} from '../endpoints/adaptive-scenario.js';
import { MODEL } from '../endpoints/harness.js';
import { affineRequest } from '../endpoints/load.js';
import type { CcoreCall } from '../helpers/ccore-client.js';
import { ccoreClient, closeClients, unavailable } from './harness.js';

const INFER: CcoreCall = {
  method: '/inference.GRPCInferenceService/ModelInfer',
  payload: toBinary(ModelInferRequestSchema, affineRequest()),
};

describe.skipIf(unavailable)('adaptive weights with gRPC C-core: a 4x slower pod', () => {
  const world = adaptiveWorld(closeClients);

  it('sends the slow pod a share that falls with its tuned weight, and rises again with it', async () => {
    const { pods, eds, fx } = world;
    const client = ccoreClient(fx.xdsAddress, 'ccore-adaptive');
    expect((await client.connect(MODEL, 30)).state).toBe('READY');
    // No traffic yet, so no evidence: nobody is weighted down before C-core's calls.
    expect(eds.updates.filter((u) => slowShare(u) < 0.1)).toEqual([]);
    const t0 = performance.now();
    await client.start(MODEL, 6, INFER);

    // The tuner's event: the slow pod's weight under 10 % of the total (25 % when equal).
    const low = await eds.waitFor(
      'the slow pod weighted down',
      (u) => u.atMs > t0 && slowShare(u) < 0.1,
      30_000,
    );
    console.log(
      `slow pod weight ${(100 * slowShare(low)).toFixed(1)}% after ${((low.atMs - t0) / 1000).toFixed(1)} s`,
    );

    // C-core honours the weights: its served split follows them (averaged over the time each set
    // was in force), so the slow pod gets well under its equal 25 %.
    const from = performance.now();
    // Six seconds: the weights move every half second and the clients apply each update a
    // little after this process sees it; a longer window makes that lag a smaller part of it.
    const split = await measure(pods, 6000);
    const expected = weightShares(eds.updates, from, performance.now());
    console.log(`C-core split ${fmt(split)} vs weights ${fmt(expected)}`);
    for (let i = 0; i < IDS.length; i++) expect(Math.abs(split[i]! - expected[i]!)).toBeLessThan(0.05);
    expect(split[SLOW]!).toBeLessThan(0.15);

    // The delay goes away: the weight comes back, and C-core's share with it.
    pods[SLOW]!.setInjectDelay(FAST_MS);
    const t1 = performance.now();
    const back = await eds.waitFor(
      'the slow pod back at full weight',
      (u) => u.atMs > t1 && slowShare(u) > 0.24,
      // Weights climb back at +25 % a second at most: from a few percent, about 15 s.
      40_000,
    );
    // 3 s of calls: at about a quarter of the traffic, 2 s left a chance share under 0.18 too likely.
    const regained = await measure(pods, 3000);
    console.log(
      `weight back after ${((back.atMs - t1) / 1000).toFixed(1)} s; C-core share now ${fmt([regained[SLOW]!])}`,
    );
    expect(regained[SLOW]!).toBeGreaterThan(0.18);

    const tally = await client.stop();
    expect(tally.errors).toEqual([]);
    expect(tally.failures).toBe(0);
    expect(tally.succeeded).toBeGreaterThan(100);
  });
});
