// The shared nats-server helper: explicit users only (CVE-2023-47090), per-role permissions,
// JetStream that survives a kill and a restart on the same port.
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../helpers/nats-server.js';

describe('NatsServer test helper', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.cleanup();
  });

  it('refuses connections without credentials or with a wrong password', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(
      connect({ servers: nats.url, user: 'admin', pass: 'wrong', reconnect: false }),
    ).rejects.toThrow(/authorization/i);
  });

  it('enforces the permissions of a role added at run time', async () => {
    await nats.addUser({ user: 'pod', publish: ['switchyard.pod.p1.>'], subscribe: ['_INBOX.>'] });
    const admin = await connect(nats.connectOptions());
    const pod = await connect(nats.connectOptions('pod'));
    const got: string[] = [];
    const sub = admin.subscribe('switchyard.pod.>', {
      callback: (_e, m) => {
        got.push(m.subject);
      },
    });
    await admin.flush();
    pod.publish('switchyard.pod.p1.heartbeat', 'ok');
    pod.publish('switchyard.pod.p2.heartbeat', 'forged');
    await pod.flush();
    // A publish without permission is dropped by the server and reported to the publisher.
    const denied = new Promise<string>((resolve) => {
      (async () => {
        for await (const s of pod.status()) if (s.type === 'error') resolve(String(s.error));
      })();
    });
    pod.publish('switchyard.pod.p3.heartbeat', 'forged');
    expect(await denied).toMatch(/permissions violation/i);
    await admin.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(['switchyard.pod.p1.heartbeat']);
    sub.unsubscribe();
    await pod.close();
    await admin.close();
  });

  it('keeps JetStream state across a kill and a restart on the same port', async () => {
    const port = nats.port;
    let nc = await connect(nats.connectOptions());
    const kv = await new Kvm(nc).create('helper_test');
    await kv.put('k', 'v1');
    await nc.close();
    await nats.kill();
    expect(nats.running).toBe(false);
    await nats.restart();
    expect(nats.port).toBe(port);
    nc = await connect(nats.connectOptions());
    const again = await new Kvm(nc).open('helper_test');
    expect((await again.get('k'))?.string()).toBe('v1');
    await nc.close();
  });
});
