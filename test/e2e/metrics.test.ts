// The control plane's Prometheus metrics, read from the real admin endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { SotwClient } from '../helpers/ads-client.js';
import {
  type ControlPlaneFixture,
  modelRouteYaml,
  startControlPlane,
  waitFor,
} from '../helpers/control-plane.js';

let fx: ControlPlaneFixture;
beforeAll(async () => {
  fx = await startControlPlane({ 'a.yaml': modelRouteYaml('resnet', { v1: [100, 9001] }) });
});
afterAll(async () => {
  await fx.close();
});

const metrics = async () => (await fetch(`${fx.adminUrl}/metrics`)).text();
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : undefined;
};

describe('control plane metrics', () => {
  it('counts streams by flavor, pushes and ACK latency by type, and NACKs', async () => {
    const envoy = new SotwClient(fx.xdsAddress, { id: 'm-envoy', userAgentName: 'envoy' });
    const grpc = new SotwClient(fx.xdsAddress, { id: 'm-grpc', userAgentName: 'gRPC Node Pure-JS' });
    try {
      envoy.send({ typeUrl: TYPE.CDS });
      grpc.send({ typeUrl: TYPE.CDS, resourceNames: ['resnet/v1'] });
      const r = await envoy.next();
      envoy.nack(r, '', 'bad cluster');
      grpc.ack(await grpc.next(), ['resnet/v1']);
      await waitFor(
        async () => value(await metrics(), 'switchyard_xds_nacks_total{type="CDS"}') === 1,
        3000,
        'the NACK',
      );
      const m = await metrics();
      expect(value(m, 'switchyard_xds_connected_streams{flavor="envoy",protocol="sotw"}')).toBe(1);
      expect(value(m, 'switchyard_xds_connected_streams{flavor="grpc",protocol="sotw"}')).toBe(1);
      expect(value(m, 'switchyard_xds_pushes_total{type="CDS"}')).toBe(2);
      expect(value(m, 'switchyard_xds_push_ack_seconds_count{type="CDS"}')).toBe(1);
      expect(value(m, 'switchyard_snapshot_build_seconds_count{group="grpc"}')).toBeGreaterThanOrEqual(1);
    } finally {
      envoy.close();
      grpc.close();
    }
    await waitFor(
      async () =>
        value(await metrics(), 'switchyard_xds_connected_streams{flavor="envoy",protocol="sotw"}') === 0,
      3000,
      'the stream gauge to drop',
    );
  });

  it('merges a burst of changes into one push and counts the pushes saved', async () => {
    const before = value(await metrics(), 'switchyard_debounce_pushes_saved_total{source="config"}') ?? 0;
    const builds = value(await metrics(), 'switchyard_snapshot_build_seconds_count{group="grpc"}')!;
    for (let i = 0; i < 10; i++) fx.cp.setEndpoints(new Map());
    await waitFor(
      async () =>
        value(await metrics(), 'switchyard_debounce_pushes_saved_total{source="config"}') === before + 9,
      3000,
      'the debounced push',
    );
    expect(value(await metrics(), 'switchyard_snapshot_build_seconds_count{group="grpc"}')).toBe(builds + 1);
  });
});
