// Server streams that never end on their own (ORCA's StreamCoreMetrics, Health.Watch) do not hold
// a pod's close: on either gRPC transport, a real grpc-js client holding both open sees the ORCA
// stream end UNAVAILABLE and the watch end OK, and close completes within a bound.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import type { GrpcTransport } from '../../data-plane/server/grpc-front.js';
import {
  HealthCheckRequestSchema,
  type HealthCheckResponse,
} from '../../protos/gen/grpc/health/v1/health_pb.js';
import { KServeClient, modelRepoCopy, ORCA_REQUEST, OrcaClient, startTestPod } from './harness.js';

/** Generous for a pod that closes at once (its workers stop in well under a second here). */
const CLOSE_BOUND_MS = 5000;

/** A stream's end as its client sees it: the status, once. */
function ended(stream: grpc.ClientReadableStream<unknown>): Promise<grpc.StatusObject> {
  stream.on('error', () => {});
  return new Promise((resolve) => stream.on('status', resolve));
}

describe.each<GrpcTransport>(['h2', 'grpc-js'])('pod close with open server streams (%s)', (transport) => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod | undefined;
  const clients: grpc.Client[] = [];

  beforeAll(async () => {
    repo = await modelRepoCopy(['affine']);
    pod = await startTestPod(repo.dir, { grpcTransport: transport });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    // Only when the test failed to close it (bounded, so a hang shows as the test's failure).
    await Promise.race([pod?.close(), new Promise((r) => setTimeout(r, 1000))]);
    await repo?.cleanup();
  });

  it('ends the ORCA stream UNAVAILABLE and a Health watch OK, and closes promptly', async () => {
    const port = pod!.ports.grpc;
    const orca = new OrcaClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const kserve = new KServeClient(port);
    clients.push(orca, kserve.client, kserve.health);
    const metrics = (
      orca as unknown as { streamCoreMetrics(r: Buffer): grpc.ClientReadableStream<Buffer> }
    ).streamCoreMetrics(ORCA_REQUEST);
    const orcaEnd = ended(metrics);
    const reports: Buffer[] = [];
    metrics.on('data', (b: Buffer) => reports.push(b));
    const watch = (
      kserve.health as unknown as { watch(r: unknown): grpc.ClientReadableStream<HealthCheckResponse> }
    ).watch(create(HealthCheckRequestSchema, { service: '' }));
    const watchEnd = ended(watch);
    await new Promise((resolve) => watch.once('data', resolve));
    await expect.poll(() => reports.length, { timeout: 3000 }).toBeGreaterThan(0);

    const t0 = performance.now();
    const closed = pod!.close().then(() => performance.now() - t0);
    const closeMs = await Promise.race([
      closed,
      new Promise<number>((r) => setTimeout(() => r(Number.POSITIVE_INFINITY), CLOSE_BOUND_MS)),
    ]);
    expect(closeMs).toBeLessThan(CLOSE_BOUND_MS);
    pod = undefined;
    const orcaStatus = await orcaEnd;
    expect(orcaStatus.code).toBe(grpc.status.UNAVAILABLE);
    expect(orcaStatus.details).toMatch(/shutting down/);
    expect((await watchEnd).code).toBe(grpc.status.OK);
    // The report timer stopped with the stream: nothing more arrives.
    const count = reports.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(reports.length).toBe(count);
  });
});
