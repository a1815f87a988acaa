// `switchyard status` names the replica that leads, its fencing token and lease expiry, in the
// table and in JSON (and /metrics exports the same), from a control plane that holds a lease on a real nats-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReplicaState } from '../../control-plane/pipeline/replica-state.js';
import { createLogger } from '../../kernel/log/index.js';
import { runMain } from '../helpers/cli-in-process.js';
import { type ControlPlaneFixture, startControlPlane } from '../helpers/control-plane.js';
import { NatsServer } from '../helpers/nats-server.js';

describe('switchyard status with replicas', () => {
  let nats: NatsServer;
  let fx: ControlPlaneFixture;
  beforeAll(async () => {
    nats = await NatsServer.start();
    const { servers, user, pass } = nats.connectOptions();
    const replica = await openReplicaState(
      { servers, user, pass, name: 'status-test' },
      { replica: 'replica-one', leaseTtlMs: 5000 },
      createLogger('replica', { level: 'warn' }),
    );
    fx = await startControlPlane({}, { replica });
  });
  afterAll(async () => {
    await fx?.close();
    await nats?.cleanup();
  });

  it('shows the leader, its fencing token and the lease expiry', async () => {
    expect(fx.cp.isLeaseKnown()).toBe(true);
    const table = await runMain('status', '--server', fx.adminUrl);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /^leader: replica-one \(this replica\), fencing token 1, lease until \d{4}-/m,
    );
    const json = await runMain('status', '--server', fx.adminUrl, '-o', 'json');
    const leader = JSON.parse(json.stdout).leader;
    expect(leader).toMatchObject({
      replica: 'replica-one',
      leader: 'replica-one',
      token: 1,
      held: true,
      known: true,
    });
    expect(Date.parse(leader.expiresAt)).toBeGreaterThan(Date.now());
    const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_lease_held\{group="leader"\} 1$/m);
    expect(metrics).toMatch(/^switchyard_lease_token\{group="leader"\} 1$/m);
  });
});
