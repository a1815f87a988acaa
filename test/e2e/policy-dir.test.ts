// The whole control plane from a policy directory to real grpc-js-xds clients: the split they
// route with, a live edit moving all traffic with zero failed RPCs, and a bad file that is
// reported while the last good configuration keeps serving.
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictRequestSchema } from '../../protos/gen/switchyard/demo/v1/backend_pb.js';
import {
  type ControlPlaneFixture,
  modelRouteYaml,
  startControlPlane,
  waitFor,
} from '../helpers/control-plane.js';
import { type DemoBackendHandle, predict, startDemoBackend } from '../helpers/demo-backend.js';
import { measureSplit, xdsDemoClient } from '../helpers/xds-client.js';

let fx: ControlPlaneFixture;
let v1: DemoBackendHandle;
let v2: DemoBackendHandle;

beforeAll(async () => {
  v1 = await startDemoBackend('v1');
  v2 = await startDemoBackend('v2');
  fx = await startControlPlane({
    'resnet.yaml': modelRouteYaml('resnet', { v1: [80, v1.port], v2: [20, v2.port] }),
  });
});
afterAll(async () => {
  await fx.close();
  await Promise.all([v1.close(), v2.close()]);
});

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${fx.adminUrl}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe('control plane from a policy directory', () => {
  it('gives an 80/20 policy 80 +- 5 % of 2,000 RPCs on v1', async () => {
    const client = xdsDemoClient(fx.xdsAddress, 'resnet', 'e2e-split');
    try {
      const r = await measureSplit(client, 'resnet', 2000);
      expect(r.failures).toBe(0);
      expect((r.counts.v1 ?? 0) / 2000).toBeGreaterThanOrEqual(0.75);
      expect((r.counts.v1 ?? 0) / 2000).toBeLessThanOrEqual(0.85);
      const { proxies } = await getJson<{
        proxies: Array<{
          nodeId: string;
          flavor: string;
          types: Record<string, { sent?: string; acked?: string }>;
        }>;
      }>('/api/v1/proxies');
      const me = proxies.find((p) => p.nodeId === 'e2e-split')!;
      expect(me.flavor).toBe('grpc');
      expect(me.types.RDS?.acked).toBe(me.types.RDS?.sent);
    } finally {
      client.close();
    }
  });

  it('moves all traffic to v2 when the file is edited to 0/100, with zero failed RPCs', async () => {
    const client = xdsDemoClient(fx.xdsAddress, 'resnet', 'e2e-move');
    const req = create(PredictRequestSchema, { model: 'resnet' });
    const seen: string[] = [];
    let failures = 0;
    let stop = false;
    const workers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          seen.push((await predict(client, req)).version);
        } catch {
          failures++;
        }
      }
    });
    try {
      await waitFor(() => seen.length > 200, 10_000, 'traffic to start');
      fx.write('resnet.yaml', modelRouteYaml('resnet', { v1: [0, v1.port], v2: [100, v2.port] }));
      // After the move, a window of 300 consecutive answers must all come from v2.
      await waitFor(
        () => seen.length > 300 && seen.slice(-300).every((v) => v === 'v2'),
        15_000,
        'all traffic on v2',
      );
      stop = true;
      await Promise.all(workers);
      expect(failures).toBe(0);
    } finally {
      stop = true;
      client.close();
    }
  });

  it('rejects an invalid policy file by file, path and reason while the last good one keeps serving', async () => {
    const before = fx.cp.snapshotGroups().find((g) => g.group === 'grpc')!.version;
    fx.write(
      'resnet.yaml',
      modelRouteYaml(
        'resnet',
        { v1: [-5, v1.port], v2: [100, v2.port] },
        '  outlierDetecton: { consecutive5xx: 3 }\n',
      ),
    );
    type Policies = {
      errors: Array<{ file: string; code: string; issues?: Array<{ path: string; message: string }> }>;
      policies: unknown[];
    };
    let body: Policies = { errors: [], policies: [] };
    await waitFor(
      async () => {
        body = await getJson<Policies>('/api/v1/policies');
        return body.errors.length > 0;
      },
      5_000,
      'the bad file to be reported',
    );
    const err = body.errors[0]!;
    expect(err.file).toBe('resnet.yaml');
    expect(err.code).toBe('SY_POLICY_INVALID');
    const paths = err.issues!.map((i) => i.path);
    expect(paths).toContain('spec.versions[0].weight');
    expect(err.issues!.find((i) => i.path === 'spec.outlierDetecton')?.message).toMatch(
      /did you mean "?outlierDetection/i,
    );
    expect(body.policies).toHaveLength(1); // the last good resnet policy is still loaded
    expect(fx.cp.snapshotGroups().find((g) => g.group === 'grpc')!.version).toBe(before);
    const client = xdsDemoClient(fx.xdsAddress, 'resnet', 'e2e-after-bad');
    try {
      const r = await measureSplit(client, 'resnet', 100);
      expect(r.failures).toBe(0);
      expect(r.counts.v2).toBe(100);
    } finally {
      client.close();
    }
    const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_policy_files_invalid 1/);
    expect(metrics).toMatch(/switchyard_xds_pushes_total\{type="RDS"\} \d+/);
    expect(metrics).toMatch(/switchyard_xds_push_ack_seconds_count\{type="EDS"\} \d+/);
  });
});
