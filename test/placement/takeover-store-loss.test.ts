// A placement runner that becomes leader while its store does not answer (its nats-server
// gone, as when a JetStream cluster loses the node leading the placement stream): reading the
// predecessor's assignments fails, the runner says so and tries again on its next tick, and
// once the server is back it takes over and places. Before, the failed read was a promise
// rejection nothing handled, and Node ended the whole control-plane process with it (seen in
// the three-node cluster scenario when the killed node led the meta group).
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlacementRunner } from '../../control-plane/placement/placement-runner.js';
import type { Fence } from '../../control-plane/placement/placement-store.js';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { NatsServer } from '../helpers/nats-server.js';

async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ROUTES = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions:
    - { name: v2, model: { registry: "fraud:2" }, replicas: { min: 1, max: 2 } }
`,
  'fraud.yaml',
);

describe('placement take-over while the store does not answer', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let runner: PlacementRunner | undefined;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    nats = await NatsServer.start();
    nc = await connect({ ...nats.connectOptions(), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    process.on('unhandledRejection', onRejection);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await runner?.stop().catch(() => undefined);
    await nc?.close();
    await nats?.cleanup();
  });

  it('logs the failed read, tries again, and takes over once the server is back', async () => {
    await new Kvm(jetstream(nc)).create('tk_models', { history: 1 });
    let held = false;
    const lease: Fence = { isHeld: () => held, token: () => 1, checkFence: async () => undefined };
    const log = memoryLogger();
    runner = new PlacementRunner({ nc, log, storePrefix: 'tk', lease, tickMs: 50 });
    await runner.start();
    runner.setRoutes(ROUTES);

    await nats.stop();
    held = true;
    const failed = () => log.lines.filter((l) => l.includes('cannot read the recorded assignments'));
    await until(
      () => failed().length > 0,
      15_000,
      () => `a logged failed take-over (log: ${log.lines.slice(-8).join(' | ')})`,
    );
    expect(runner.runs).toBe(0);

    await nats.restart();
    await until(
      () => runner!.runs > 0,
      30_000,
      () => `a placement run after the restart (log: ${log.lines.slice(-8).join(' | ')})`,
    );
    expect(runner.snapshot().leader).toBe(true);
    expect(rejections).toEqual([]);
  });
});
