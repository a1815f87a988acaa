// A SotW request replaces the whole subscription (docs/XDS.md): through the real ADS service, a
// list that repeats one held name in place of another drops the other, although it has as many
// entries as the stream holds names and each of them is held.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { namesOf, SotwClient } from '../helpers/ads-client.js';
import { waitFor } from '../helpers/control-plane.js';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { modelSet } from '../helpers/xds-resources.js';

let fx: XdsFixture;
let client: SotwClient | undefined;
beforeEach(async () => {
  fx = await startXds();
});
afterEach(async () => {
  client?.close();
  await fx.close();
});

const resnet = (p1: number, p2: number) =>
  modelSet('resnet', { v1: { weight: 80, ports: [p1] }, v2: { weight: 20, ports: [p2] } });

it('unsubscribes a name replaced by a repeat of another in an ACK', async () => {
  fx.publish('envoy', resnet(9001, 9002));
  const c = new SotwClient(fx.address, { id: 'envoy-1', userAgentName: 'envoy' });
  client = c;
  c.send({ typeUrl: TYPE.EDS, resourceNames: ['resnet/v1', 'resnet/v2'] });
  const r1 = await c.next(30_000);
  expect(namesOf(r1)).toEqual(['resnet/v1', 'resnet/v2']);
  c.ack(r1, ['resnet/v1', 'resnet/v1']);
  // The ACK must be in before the change, or the change would go out on the old subscription.
  await waitFor(() => fx.events.some((e) => e.kind === 'ack' && e.type === TYPE.EDS), 30_000, 'the EDS ACK');
  // Both endpoint sets change: the next response carries only the one still subscribed.
  fx.publish('envoy', resnet(9011, 9012));
  const r2 = await c.next(30_000);
  expect(r2.typeUrl).toBe(TYPE.EDS);
  expect(namesOf(r2)).toEqual(['resnet/v1']);
});
