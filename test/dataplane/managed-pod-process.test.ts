// `switchyard pod --managed` as a real process: no model repository, the KEK from --kek-file, the
// artifact bucket named by --store-prefix. An assignment published by hand makes it download,
// verify and load; it answers what ONNX Runtime answers; unassigned, it drains and unloads; its
// NATS user cannot publish assignments to itself; SIGTERM ends it with exit 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModelRepository } from '../../data-plane/models/generate.js';
import { encodeAccessRules, encodeAssignments, podSubjects } from '../../kernel/contract/index.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { ModelState } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { publishArtifact } from '../helpers/artifacts.js';
import { managedPodUser, NatsServer } from '../helpers/nats-server.js';
import { freePorts } from '../helpers/ports.js';
import { expectClose, f32Bytes, f32Of, inputRows, KServeClient, ReferenceSession } from './harness.js';
import { PodListener } from './pod-listener.js';

const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));
const POD = 'managed-proc';
const PREFIX = 'tenant1';
const BUCKET = `${PREFIX}_artifacts`;

describe('switchyard pod --managed (a process)', () => {
  let nats: NatsServer;
  let admin: NatsConnection;
  let listener: PodListener;
  let dir: string;
  let child: ChildProcess;
  let stderr = '';
  let grpcPort: number;
  const keyBytes = KeyEncryptionKey.newKeyFileBytes();
  const kek = KeyEncryptionKey.fromKeyBytes(keyBytes, 'test KEK');
  let creds: { user: string; pass: string };

  beforeAll(async () => {
    nats = await NatsServer.start();
    admin = await connect(nats.connectOptions());
    creds = await nats.addUser(managedPodUser(POD, BUCKET));
    listener = await PodListener.start(nats.connectOptions());
    dir = await mkdtemp(join(tmpdir(), 'sy-managed-proc-'));
    await writeFile(join(dir, 'kek'), keyBytes, { mode: 0o600 });
    const [http, grpc, metrics] = await freePorts(3);
    grpcPort = grpc!;
    // biome-ignore format: one flag per line reads better
    child = spawn(process.execPath, [
      BIN, 'pod',
      '--managed',
      '--cache-dir', join(dir, 'cache'),
      '--kek-file', join(dir, 'kek'),
      '--store-prefix', PREFIX,
      '--memory-limit', '1Gi',
      '--pod-id', POD,
      '--nats', nats.url,
      '--nats-user', creds.user,
      '--nats-password', creds.pass,
      '--http-port', String(http),
      '--grpc-port', String(grpc),
      '--metrics-port', String(metrics),
      '--heartbeat-interval', '200ms',
      '--drain-grace', '300ms',
      '--intra-op-threads', '1',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      stderr += c;
    });
    const reg = await listener.next('register', (r) => r.podId === POD, 0, 60_000);
    expect(reg.managed).toBe(true);
    expect(reg.memoryLimitBytes).toBe(1n << 30n);
    expect(reg.models).toEqual([]);
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await listener?.close();
    await admin?.close();
    await nats?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads an assignment, answers like session.run, drains and unloads when unassigned', async () => {
    const path = join(await ensureModelRepository(), 'convnet', '1', 'model.onnx');
    const plain = new Uint8Array(await readFile(path));
    const a = await publishArtifact(admin, BUCKET, kek, { name: 'digits', version: '3', plain });
    const send = (revision: bigint, versions: (typeof a)[]) => {
      admin.publish(podSubjects(POD).assign, encodeAssignments({ podId: POD, revision, versions }));
    };
    // Playing the control plane: no access rules for any model (open); before them the pod,
    // started with --nats, admits no inference (docs/ACCESS.md, "At the pods").
    admin.publish(podSubjects(POD).access, encodeAccessRules({ version: 'open', models: {} }));
    send(1n, [a]);
    const ready = await listener.next(
      'register',
      (r) => r.podId === POD && r.models.some((m) => m.model === 'digits' && m.state === ModelState.READY),
      0,
      60_000,
    );
    expect(ready.models[0]!.digest).toBe(a.digest);
    const hb = await listener.next(
      'heartbeat',
      (h) => h.podId === POD && h.assignmentRevision === 1n && h.models.some((m) => m.ready),
      0,
      30_000,
    );
    expect(hb.models[0]!.memoryBytes).toBeGreaterThanOrEqual(BigInt(plain.length));

    const client = new KServeClient(grpcPort);
    const reference = await ReferenceSession.open(path);
    try {
      const x = inputRows(2, 28 * 28, 11);
      const res = await client.infer({
        modelName: 'digits',
        modelVersion: '3',
        inputs: [{ name: 'image', datatype: 'FP32', shape: [2n, 1n, 28n, 28n] }],
        rawInputContents: [f32Bytes(x)],
      });
      expectClose(f32Of(res.rawOutputContents[0]!), await reference.run(x, [2, 1, 28, 28]));
    } finally {
      client.close();
      await reference.close();
    }

    // The pod's own user cannot assign itself anything: the server refuses the publish.
    const podConn = await connect({ servers: nats.url, user: creds.user, pass: creds.pass });
    const refused = (async () => {
      for await (const s of podConn.status())
        if (s.type === 'error' && /Permissions Violation/i.test(String(s.error))) return true;
      return false;
    })();
    podConn.publish(podSubjects(POD).assign, encodeAssignments({ podId: POD, revision: 99n, versions: [] }));
    expect(await refused).toBe(true);
    await podConn.close();

    const from = listener.messages.length;
    send(2n, []);
    await listener.next(
      'register',
      (r) => r.podId === POD && r.models.some((m) => m.state === ModelState.UNLOADING),
      from,
      30_000,
    );
    await listener.next('register', (r) => r.podId === POD && r.models.length === 0, from, 30_000);
    expect(stderr).toMatch(/managed: digits version 3 ready in \d+ ms \(downloaded in \d+ ms/);
  }, 120_000);

  it('exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
