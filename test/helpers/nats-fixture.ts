// One nats-server and one client connection for a test file: started before its tests, closed
// and removed after them. `nc` is read inside the tests, once beforeAll has run.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { NatsServer } from './nats-server.js';

export interface NatsFixture {
  readonly nats: NatsServer;
  readonly nc: NatsConnection;
}

export function natsFixture(): NatsFixture {
  const fx = {} as { nats: NatsServer; nc: NatsConnection };
  beforeAll(async () => {
    fx.nats = await NatsServer.start();
    fx.nc = await connect(fx.nats.connectOptions());
  });
  afterAll(async () => {
    await fx.nc?.close();
    await fx.nats?.cleanup();
  });
  return fx;
}
