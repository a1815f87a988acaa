// A managed pod loads a version from its mapped weights without packing them, is READY, and swaps
// in packed sessions while gRPC requests keep coming: every request answered as ONNX Runtime
// answers the file directly, and heartbeats carry the memory figure measured after the swap.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModelRepository } from '../../data-plane/models/generate.js';
import { Pod } from '../../data-plane/pod.js';
import { encodeAssignments, podSubjects } from '../../kernel/contract/index.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { publishArtifact } from '../helpers/artifacts.js';
import { managedPodUser, NatsServer } from '../helpers/nats-server.js';
import {
  expectClose,
  f32Bytes,
  f32Of,
  inputRows,
  KServeClient,
  ReferenceSession,
  testPodOptions,
  waitFor,
} from './harness.js';
import { PodListener } from './pod-listener.js';

const POD = 'prepack-a';
const BUCKET = 'switchyard_artifacts';
const IMAGE = 28 * 28;

describe('managed pod: weights packed after READY', () => {
  let nats: NatsServer;
  let admin: NatsConnection;
  let listener: PodListener;
  let pod: Pod;
  let client: KServeClient;
  let cacheDir: string;
  let reference: ReferenceSession;
  const log = memoryLogger();
  const kek = KeyEncryptionKey.fromKeyBytes(randomBytes(32), 'test KEK');

  beforeAll(async () => {
    nats = await NatsServer.start();
    admin = await connect(nats.connectOptions());
    const creds = await nats.addUser(managedPodUser(POD, BUCKET));
    listener = await PodListener.start(nats.connectOptions());
    cacheDir = await mkdtemp(join(tmpdir(), 'sy-prepack-cache-'));
    const convnetPath = join(await ensureModelRepository(), 'convnet', '1', 'model.onnx');
    reference = await ReferenceSession.open(convnetPath);
    const { modelRepo: _none, ...base } = testPodOptions('');
    pod = await Pod.start({
      ...base,
      podId: POD,
      nats: { url: nats.url, user: creds.user, pass: creds.pass },
      managed: { cacheDir, bucket: BUCKET, kek },
      // On a worker (an inline session packs at once), each run holding it a while, so runs are
      // in flight while the packed session is swapped in.
      inlineBudgetMs: 0,
      injectDelayMs: 10,
      log,
    });
    client = new KServeClient(pod.ports.grpc);
    const plain = new Uint8Array(await readFile(convnetPath));
    const a = await publishArtifact(admin, BUCKET, kek, { name: 'convnet', version: '3', plain });
    await listener.next('register', (r) => r.podId === POD && r.managed, 0, 30_000);
    admin.publish(
      podSubjects(POD).assign,
      encodeAssignments({ podId: POD, revision: 1n, sentAtMs: BigInt(Date.now()), versions: [a] }),
    );
    await admin.flush();
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await pod?.close();
    await reference?.close();
    await listener?.close();
    await admin?.close();
    await nats?.cleanup();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  async function infer(seed: number): Promise<void> {
    const x = inputRows(1, IMAGE, seed);
    const res = await client.infer({
      modelName: 'convnet',
      modelVersion: '3',
      inputs: [{ name: 'image', datatype: 'FP32', shape: [1n, 1n, 28n, 28n] }],
      rawInputContents: [f32Bytes(x)],
    });
    expectClose(f32Of(res.rawOutputContents[0]!), await reference.run(x, [1, 1, 28, 28]));
  }

  it('answers every request across the swap and reports the memory measured after it', async () => {
    const v = await waitFor(
      'convnet 3 ready',
      () => {
        const s = pod.models.get('convnet', '3');
        return s?.state === 'ready' ? s : undefined;
      },
      60_000,
    );
    expect(log.lines.find((l) => l.includes('convnet version 3 ready in'))).toContain('weights packed next');
    let before = 0;
    let after = 0;
    const caller = async (seed: number) => {
      while (v.prepack === 'pending' || after < 6) {
        const packed = v.prepack !== 'pending';
        await infer(seed);
        if (packed) after++;
        else before++;
      }
    };
    await Promise.all([caller(1), caller(2), caller(3)]);
    process.stdout.write(`requests answered while packing: ${before}, after: ${after}\n`);
    expect(v.prepack).toBe('packed');
    expect(v.pool?.loaded.fromMapped).toBe(true);
    expect(
      log.lines.filter((l) => l.includes('convnet version 3: weights packed in the background')),
    ).toHaveLength(1);
    expect(v.memoryBytes).toBeGreaterThan(0);
    // Heartbeats from now on carry the figure measured across the swap.
    const from = listener.messages.length;
    const figure = BigInt(v.memoryBytes!);
    const carries = (m: { model: string; memoryBytes: bigint }) =>
      m.model === 'convnet' && m.memoryBytes === figure;
    const hb = await listener.next(
      'heartbeat',
      (h) => h.podId === POD && h.models.some(carries),
      from,
      30_000,
    );
    expect(hb.models.find((m) => m.model === 'convnet')?.ready).toBe(true);
  });
});
