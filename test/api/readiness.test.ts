// Liveness apart from readiness: /healthz answers while the process turns, whatever its store
// does; /readyz is 503 with reasons while the store does not answer or the lease state is
// unknown, and 200 again once both are back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/control-plane.js';
import { type ApiFixture, startApi } from './fixture.js';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await startApi();
});
afterAll(async () => {
  await fx?.close();
});

describe('/healthz and /readyz', () => {
  it('ready: every check named and ok, no credentials needed (public.healthz)', async () => {
    const h = await fx.call('GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.json.status).toBe('ok');
    const r = await fx.call('GET', '/readyz');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.status).toBe('ready');
    expect(r.json.checks.map((c: { name: string }) => c.name)).toEqual([
      'started',
      'store',
      'lease',
      'snapshot',
    ]);
    expect(r.json.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(r.json.checks.find((c: { name: string }) => c.name === 'store').detail).toContain(
      `127.0.0.1:${fx.nats.port}`,
    );
  });

  it('not ready while the lease state is unknown: 503 with the reason', async () => {
    fx.cp.setLeaseState(() => ({ ok: false, detail: 'lease not read yet' }));
    try {
      const r = await fx.call('GET', '/readyz');
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ status: 'not ready', reasons: ['lease: lease not read yet'] });
      expect((await fx.call('GET', '/healthz')).status).toBe(200);
    } finally {
      fx.cp.setLeaseState(() => ({ ok: true }));
    }
    expect((await fx.call('GET', '/readyz')).status).toBe(200);
  });

  it('not ready while NATS is down, live all along, ready again after NATS returns', async () => {
    await fx.nats.kill();
    const t0 = Date.now();
    const r = await fx.call('GET', '/readyz');
    // Bounded: a probe never waits on a store that does not answer for longer than its deadline.
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r.status).toBe(503);
    expect(r.json.reasons).toHaveLength(1);
    expect(r.json.reasons[0]).toMatch(/^store: /);
    expect((await fx.call('GET', '/healthz')).status).toBe(200);
    await fx.nats.restart();
    await waitFor(
      async () => (await fx.call('GET', '/readyz')).status === 200,
      30_000,
      '/readyz to be 200 again',
    );
  });
});
