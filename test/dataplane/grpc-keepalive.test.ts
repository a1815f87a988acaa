// Keepalive on a pod's gRPC port, on either transport: a peer that completed the HTTP/2 preface
// and then went silent (it reads, it never answers: a vanished peer as the server sees it) gets
// a PING and is dropped within time + timeout; a client that answers pings, idle or busy, is kept.
import http2 from 'node:http2';
import net from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import type { GrpcTransport } from '../../data-plane/server/grpc-front.js';
import { HealthCheckRequestSchema } from '../../protos/gen/grpc/health/v1/health_pb.js';
import { modelRepoCopy, startTestPod } from './harness.js';

const TIME_MS = 200;
/** Long beside TIME_MS: the healthy client shares this process's event loop, stalls included. */
const TIMEOUT_MS = 1000;
/** Timers, the shared machine's scheduling and the close itself. */
const SLACK_MS = 800;
const FRAME_PING = 6;
const CLIENT_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), // SETTINGS, empty
]);

/** Frame types in what the server sent (after its own 9-byte-header frames start at 0). */
function frameTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) types.push(bytes[at + 3]!);
  return types;
}

describe.each<GrpcTransport>(['h2', 'grpc-js'])('gRPC keepalive (%s)', (transport) => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;

  beforeAll(async () => {
    repo = await modelRepoCopy(['affine']);
    pod = await startTestPod(repo.dir, {
      grpcTransport: transport,
      grpcKeepalive: { timeMs: TIME_MS, timeoutMs: TIMEOUT_MS },
    });
  });

  afterAll(async () => {
    await pod?.close();
    await repo?.cleanup();
  });

  it('drops a peer that never answers its ping within keepalive time + timeout', async () => {
    const socket = net.connect(pod.ports.grpc, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const t0 = performance.now();
    socket.write(CLIENT_PREFACE);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    const closedAfter = await new Promise<number>((resolve) => {
      socket.once('close', () => resolve(performance.now() - t0));
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), TIME_MS + TIMEOUT_MS + 5000);
    });
    socket.destroy();
    expect(frameTypes(Buffer.concat(chunks))).toContain(FRAME_PING);
    expect(closedAfter).toBeGreaterThanOrEqual(TIME_MS + TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(TIME_MS + TIMEOUT_MS + SLACK_MS);
  });

  it('keeps a client that answers its pings, idle then busy, on one connection', async () => {
    const session = http2.connect(`http://127.0.0.1:${pod.ports.grpc}`);
    let pings = 0;
    let closed = false;
    session.on('ping', () => pings++);
    session.on('close', () => (closed = true));
    session.on('error', () => {});
    await new Promise((resolve) => session.once('connect', resolve));
    const message = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: '' }));
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
    const check = () =>
      new Promise<string | undefined>((resolve, reject) => {
        const req = session.request({
          ':method': 'POST',
          ':path': '/grpc.health.v1.Health/Check',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        req.on('error', reject);
        req.on('trailers', (t) => resolve(t['grpc-status'] as string | undefined));
        req.resume();
        req.end(frame);
      });
    const statuses = [await check()];
    await new Promise((r) => setTimeout(r, 6 * TIME_MS));
    const idlePings = pings;
    for (let i = 0; i < 10; i++) {
      statuses.push(await check());
      await new Promise((r) => setTimeout(r, TIME_MS / 2));
    }
    expect(idlePings).toBeGreaterThanOrEqual(2);
    expect(pings).toBeGreaterThan(idlePings);
    expect(statuses).toEqual(new Array(11).fill('0'));
    expect(closed).toBe(false);
    session.close();
  });
});
