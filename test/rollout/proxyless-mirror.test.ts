// Mirroring for proxyless gRPC, end to end: real pods on a real nats-server, a control plane
// that discovers them and tells the stable pod what to mirror, and a real grpc-js-xds client.
// A candidate with other weights (mlp version 2, another seed) disagrees on some top-1 classes;
// a candidate with the stable weights (mlp version 3, a copy of version 1) agrees on all of
// them. Every answer the client gets comes from the stable version.
import { cp as copy } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-plane/pipeline/control-plane.js';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import { ModelInferRequestSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { f32Bytes, f32Of, inputRows, modelRepoCopy } from '../dataplane/harness.js';
import { startDiscoveryPlane, startNats, startPod } from '../endpoints/harness.js';
import { XdsInferenceClient } from '../endpoints/load.js';
import { type ControlPlaneFixture, waitFor } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';

const route = (mirrorTo: string) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: mlp, namespace: default }
spec:
  model: mlp
  mtls: DISABLE
  versions:
    - { name: "1", weight: 100 }
    - { name: "2", weight: 0 }
    - { name: "3", weight: 0 }
  mirror: { version: "${mirrorTo}", percent: 100 }
`;

function request(seed: number) {
  return create(ModelInferRequestSchema, {
    modelName: 'mlp',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
    rawInputContents: [f32Bytes(inputRows(1, MLP.inputs, seed))],
  });
}

describe('proxyless mirroring', () => {
  let nats: NatsServer;
  const repos: Awaited<ReturnType<typeof modelRepoCopy>>[] = [];
  let fx: ControlPlaneFixture;
  let cp: ControlPlane;
  const pods: Pod[] = [];
  let client: XdsInferenceClient;
  const stable = () => cp.discovery!.versionFigures('mlp', '1');

  beforeAll(async () => {
    nats = await startNats(['stable', 'other', 'same']);
    // One version per pod: the stable pod holds 1, the candidates 2 (other weights) and 3.
    const only = async (version: string, from = version) => {
      const repo = await modelRepoCopy([]);
      const full = await modelRepoCopy(['mlp']);
      await copy(join(full.dir, 'mlp', from), join(repo.dir, 'mlp', version), { recursive: true });
      await full.cleanup();
      repos.push(repo);
      return repo;
    };
    const [r1, r2, r3] = [await only('1'), await only('2'), await only('3', '1')];
    fx = await startDiscoveryPlane(nats, {}, route('2'));
    cp = fx.cp;
    pods.push(
      await startPod(nats, r1!, 'stable'),
      await startPod(nats, r2!, 'other'),
      await startPod(nats, r3!, 'same'),
    );
    await waitFor(() => (cp.discovery?.statuses().size ?? 0) === 3, 20_000, 'three versions discovered');
    client = new XdsInferenceClient(fx.xdsAddress, 'mlp', 'mirror-client');
  }, 120_000);

  afterAll(async () => {
    client?.close();
    for (const p of pods) await p.close();
    await cp?.stop();
    await fx?.close();
    for (const r of repos) await r.cleanup();
    await nats?.cleanup();
  });

  /**
   * Sends requests through the stable version until `sent` copies went out, waits until every copy
   * is answered (none may fail) and compared, and gives the stable side's comparison figures for
   * just those copies.
   */
  async function mirrorRound(sent: number, seed: number) {
    const before = stable().total;
    const c = pods[0]!.mirror.counts;
    const copies = { ...c };
    // Copies go out only while the control plane sees both pods HEALTHY: a loaded host that
    // delays three 200 ms heartbeats stops the mirror until the next one.
    const deadline = Date.now() + 60_000;
    for (let i = 0; c.sent - copies.sent < sent; i++) {
      if (Date.now() > deadline)
        throw new Error(`${c.sent - copies.sent} of ${i} requests copied in 60 s: ${JSON.stringify(c)}`);
      await traffic(1, seed + i);
    }
    await waitFor(
      () => c.answered + c.failed - copies.answered - copies.failed >= sent,
      30_000,
      'copies answered',
    );
    expect(c.failed - copies.failed, JSON.stringify(c)).toBe(0);
    await waitFor(
      () => stable().total.mirrorCompared - before.mirrorCompared >= sent,
      30_000,
      'copies compared',
    );
    const after = stable().total;
    return {
      compared: after.mirrorCompared - before.mirrorCompared,
      agreed: after.mirrorAgreed - before.mirrorAgreed,
      absDiff: after.mirrorAbsDiffSum - before.mirrorAbsDiffSum,
    };
  }

  /** Sends `n` requests; every answer must be the stable version's (its version, its output). */
  async function traffic(n: number, seed: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const res = await client.call(request(seed + i), 20_000);
      expect(res.modelVersion).toBe('1');
      expect(f32Of(res.rawOutputContents[0]!)).toHaveLength(MLP.classes);
    }
  }

  it('compares a candidate with other weights: agreement below 100 %, clients see only stable', async () => {
    await waitFor(() => pods[0]!.mirror.current?.toVersion === '2', 15_000, 'the stable pod mirroring to 2');
    expect(pods[0]!.mirror.current!.targets).toEqual([`127.0.0.1:${pods[1]!.ports.grpc}`]);
    const candidateServed = pods[1]!.stats.served;
    const sent = 40;
    const { compared, agreed, absDiff } = await mirrorRound(sent, 100);
    expect(compared).toBe(sent);
    expect(agreed).toBeLessThan(compared);
    expect(absDiff).toBeGreaterThan(0);
    // The candidate really answered the copies, and the client's classes are the stable
    // model's: a direct call to the candidate gives other classes for some of the inputs.
    expect(pods[1]!.stats.served - candidateServed).toBe(sent);
    console.info(`mirror to a candidate with other weights: ${agreed}/${compared} top-1 agreed`);
  }, 120_000);

  it('compares an identical candidate: 100 % agreement', async () => {
    fx.write('affine.yaml', route('3'));
    await waitFor(() => pods[0]!.mirror.current?.toVersion === '3', 15_000, 'the stable pod mirroring to 3');
    const otherServed = pods[1]!.stats.served;
    const sent = 40;
    const { compared, agreed, absDiff } = await mirrorRound(sent, 500);
    expect(compared).toBe(sent);
    expect(agreed).toBe(sent);
    expect(absDiff).toBe(0);
    // Version 2 gets nothing any more.
    expect(pods[1]!.stats.served).toBe(otherServed);
  }, 120_000);

  it('mirrors REST requests with their inputs intact (a worker run moves a JSON body buffer)', async () => {
    // Still mirroring to the identical candidate. A decoded JSON input owns its buffer, which a
    // run on a session worker takes (transfers) from the main thread: the copy must have been
    // made before, or the candidate gets empty tensors and refuses them.
    await waitFor(() => pods[0]!.mirror.current?.toVersion === '3', 15_000, 'the stable pod mirroring to 3');
    const c = pods[0]!.mirror.counts;
    const copies = { ...c };
    const before = stable().total;
    const sent = 20;
    // Requests go until `sent` copies went out (mirrorRound says why).
    const deadline = Date.now() + 60_000;
    for (let i = 0; c.sent - copies.sent < sent; i++) {
      if (Date.now() > deadline)
        throw new Error(`${c.sent - copies.sent} of ${i} REST requests copied in 60 s: ${JSON.stringify(c)}`);
      const res = await fetch(`http://127.0.0.1:${pods[0]!.ports.http}/v2/models/mlp/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [
            {
              name: 'input',
              datatype: 'FP32',
              shape: [1, MLP.inputs],
              data: [...inputRows(1, MLP.inputs, 900 + i)],
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { model_version: string }).model_version).toBe('1');
    }
    await waitFor(
      () => c.answered + c.failed - copies.answered - copies.failed >= sent,
      30_000,
      'copies answered',
    );
    expect(c.failed - copies.failed, JSON.stringify(c)).toBe(0);
    await waitFor(
      () => stable().total.mirrorCompared - before.mirrorCompared >= sent,
      30_000,
      'copies compared',
    );
    expect(stable().total.mirrorAgreed - before.mirrorAgreed).toBe(sent);
    expect(stable().total.mirrorAbsDiffSum - before.mirrorAbsDiffSum).toBe(0);
  }, 120_000);
});
