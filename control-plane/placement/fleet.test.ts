import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  ExecutionProvider,
  HeartbeatSchema,
  ModelState,
  PodRegistrationSchema,
  PodState,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { Fleet } from './fleet.js';

const reg = (podId: string, over: Record<string, unknown> = {}) =>
  create(PodRegistrationSchema, {
    podId,
    region: 'eu',
    zone: 'a',
    managed: true,
    startedAtMs: 1n,
    heartbeatIntervalMs: 1000,
    memoryLimitBytes: 4096n,
    models: [
      { model: 'm', version: '1', state: ModelState.READY },
      { model: 'm', version: '2', state: ModelState.LOADING },
      { model: 'm', version: '3', state: ModelState.FAILED },
    ],
    ...over,
  });

describe('Fleet', () => {
  it('keeps managed pods only, with device, memory limit and what they hold', () => {
    const f = new Fleet();
    expect(f.register(reg('p1'), 0)).toBe(true);
    expect(f.register(reg('p1'), 10)).toBe(false);
    expect(f.register(reg('p2', { managed: false }), 0)).toBe(false);
    expect(f.register(reg('p3', { gpuSimulated: true, memoryLimitBytes: 0n }), 0)).toBe(true);
    expect(f.register(reg('p4', { executionProvider: ExecutionProvider.GPU }), 0)).toBe(true);
    const pods = Object.fromEntries(f.list().map((p) => [p.podId, p]));
    expect(Object.keys(pods).sort()).toEqual(['p1', 'p3', 'p4']);
    expect(pods.p1).toMatchObject({ device: 'cpu', memoryLimitBytes: 4096, draining: false });
    expect([...pods.p1!.loaded]).toEqual([
      ['m.1', { ready: true, memoryBytes: 0 }],
      ['m.2', { ready: false, memoryBytes: 0 }],
    ]);
    expect(pods.p3).toMatchObject({ device: 'gpu', memoryLimitBytes: undefined });
    expect(pods.p4!.device).toBe('gpu');
    // A restart (new start time) counts as new: it gets its assignments again.
    expect(f.register(reg('p1', { startedAtMs: 2n }), 20)).toBe(true);
  });

  it("changes a pod's shape when a version becomes ready or it drains, not when figures move", () => {
    const f = new Fleet();
    expect(f.shape('p1')).toBeUndefined();
    f.register(reg('p1'), 0);
    expect(f.shape('p1')).toBe('serving;m.1');
    const hb = (
      models: { version: string; ready: boolean; memoryBytes: bigint }[],
      cpu: number,
      state = PodState.SERVING,
    ) =>
      create(HeartbeatSchema, {
        podId: 'p1',
        state,
        utilization: { cpuPercent: cpu },
        models: models.map((m) => ({ model: 'm', ...m })),
      });
    // A heartbeat also lists the loading and failed versions, not ready: the same shape.
    const held = [
      { version: '1', ready: true, memoryBytes: 100n },
      { version: '2', ready: false, memoryBytes: 0n },
      { version: '3', ready: false, memoryBytes: 0n },
    ];
    f.heartbeat(hb(held, 10), 1);
    expect(f.shape('p1')).toBe('serving;m.1');
    f.heartbeat(
      hb(
        held.map((m) => ({ ...m, memoryBytes: m.memoryBytes * 2n })),
        90,
      ),
      2,
    );
    expect(f.shape('p1')).toBe('serving;m.1');
    f.register(
      reg('p1', {
        models: [
          { model: 'm', version: '2', state: ModelState.READY },
          { model: 'm', version: '1', state: ModelState.READY },
        ],
      }),
      3,
    );
    expect(f.shape('p1')).toBe('serving;m.1,m.2');
    f.markDraining('p1');
    expect(f.shape('p1')).toBe('draining;m.1,m.2');
  });

  it('takes measured memory, load and queue from heartbeats, and sums per-version stats', () => {
    const f = new Fleet();
    f.register(reg('p1'), 0);
    f.register(reg('p2'), 0);
    const hb = (podId: string, cpu: number, queue: number, p99: number) =>
      create(HeartbeatSchema, {
        podId,
        state: PodState.SERVING,
        utilization: { cpuPercent: cpu },
        models: [
          {
            model: 'm',
            version: '1',
            ready: true,
            queueDepth: queue,
            memoryBytes: 300n,
            window: { p99Ms: p99 },
          },
        ],
      });
    expect(f.heartbeat(hb('p1', 50, 3, 20), 1)).toBe(true);
    expect(f.heartbeat(hb('p2', 90, 5, 40), 1)).toBe(true);
    expect(f.heartbeat(hb('nobody', 1, 1, 1), 1)).toBe(false);
    const p1 = f.list().find((p) => p.podId === 'p1')!;
    expect(p1.load).toBe(0.5);
    expect(p1.loaded.get('m.1')).toEqual({ ready: true, memoryBytes: 300 });
    const s = f.stats().get('m.1')!;
    expect(s.ready).toBe(2);
    expect(s.utilizationSum / s.withUtilization).toBeCloseTo(0.7);
    expect(s.queueDepth).toBe(8);
    expect(s.p99Ms).toBe(40);
  });

  it('expires a silent pod after three intervals (at least 3 s), and marks drains', () => {
    const f = new Fleet();
    f.register(reg('slow', { heartbeatIntervalMs: 2000 }), 0);
    f.register(reg('fast', { heartbeatIntervalMs: 200 }), 0);
    expect(f.markDraining('fast')).toBe(true);
    expect(f.list().find((p) => p.podId === 'fast')!.draining).toBe(true);
    expect(f.expire(3000)).toEqual([]);
    expect(f.expire(3001)).toEqual(['fast']);
    expect(f.expire(6001)).toEqual(['slow']);
    expect(f.list()).toEqual([]);
  });

  it('takes a pod dropped for silence back at its next heartbeat, and forgets one that left', () => {
    const f = new Fleet();
    f.register(reg('p1', { zone: 'b' }), 0);
    f.register(reg('p2'), 0);
    expect(f.expire(3001)).toEqual(['p1', 'p2']);
    const hb = (podId: string) =>
      create(HeartbeatSchema, {
        podId,
        state: PodState.SERVING,
        models: [{ model: 'm', version: '1', ready: true, memoryBytes: 300n }],
      });
    // Known again from its registration: zone, limit and device as registered.
    expect(f.heartbeat(hb('p1'), 3500)).toBe(true);
    expect(f.list()).toEqual([
      expect.objectContaining({ podId: 'p1', zone: 'b', memoryLimitBytes: 4096, device: 'cpu' }),
    ]);
    expect(f.shape('p1')).toBe('serving;m.1');
    // Silent again from its last heartbeat on, not from its registration.
    expect(f.expire(6400)).toEqual([]);
    expect(f.expire(6501)).toEqual(['p1']);
    // A pod that deregistered is gone: its heartbeats (late ones) bring nothing back.
    f.remove('p2');
    expect(f.heartbeat(hb('p2'), 7000)).toBe(false);
    // Ten minutes of silence: forgotten.
    f.expire(6501 + 10 * 60_000 + 1);
    expect(f.heartbeat(hb('p1'), 6501 + 10 * 60_000 + 2)).toBe(false);
  });
});
