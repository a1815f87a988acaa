// Break after make for a registry version's last endpoints: the EDS keeps them, as the clients
// had them, for the hold after they stop taking traffic, while the route moves the version's
// weight away; then the EDS is emptied. The real translator turns both into xDS.
import { describe, expect, it } from 'vitest';
import { type ModelRoute, parsePolicyFile } from '../../control-plane/policy/index.js';
import { withReadyWeights } from '../../control-plane/translate/index.js';
import { LastEndpointHold } from '../../control-plane/translate/last-endpoint-hold.js';
import type { EndpointInfo, EndpointTable } from '../../control-plane/translate/types.js';

const route: ModelRoute = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  mtls: DISABLE
  versions:
    - { name: v1, weight: 50, model: { registry: "fraud:1" } }
    - { name: v2, weight: 50, model: { registry: "fraud:2" } }
`,
  'fraud.yaml',
)[0]!;

const pod = (podId: string, port: number, health: EndpointInfo['health']): EndpointInfo => ({
  address: '127.0.0.1',
  port,
  podId,
  region: 'local',
  zone: 'a',
  health,
});
const table = (v1: EndpointInfo[], v2: EndpointInfo[]): EndpointTable =>
  new Map([
    ['fraud/1', v1],
    ['fraud/2', v2],
  ]);

describe('last endpoint hold', () => {
  const a = pod('a', 9001, 'HEALTHY');
  const b = pod('b', 9002, 'HEALTHY');

  it('keeps the last ready endpoints, as HEALTHY, for the hold, while the route moves away', () => {
    const hold = new LastEndpointHold(undefined, 3000);
    const ready = table([a], [b]);
    expect(hold.apply([route], ready, 1000).table).toBe(ready);
    // b drains: not ready any more. The route gives its weight to v1 at once...
    const draining = table([a], [{ ...b, health: 'DRAINING' }]);
    const weights = withReadyWeights(route, draining).spec.versions.map((v) => v.weight);
    expect(weights).toEqual([100, 0]);
    // ...and the EDS keeps b as the clients had it until the hold ends.
    const held = hold.apply([route], draining, 2000);
    expect(held.table.get('fraud/2')).toEqual([b]);
    expect(held.table.get('fraud/1')).toEqual([a]);
    expect(held.expiresAt).toBe(5000);
    // Gone from the table altogether (unloaded): still held, same deadline.
    const gone = table([a], []);
    expect(hold.apply([route], gone, 4999).table.get('fraud/2')).toEqual([b]);
    // The hold ends: the EDS is what the table says.
    const after = hold.apply([route], gone, 5000);
    expect(after.table).toBe(gone);
    expect(after.expiresAt).toBeUndefined();
    expect(hold.apply([route], gone, 5001).table.get('fraud/2')).toEqual([]);
  });

  it('forgets a hold when the version is ready again, and never holds what never was ready', () => {
    const hold = new LastEndpointHold(undefined, 3000);
    expect(hold.apply([route], table([a], []), 0).table.get('fraud/2')).toEqual([]);
    hold.apply([route], table([a], [b]), 100);
    expect(hold.apply([route], table([a], []), 200).table.get('fraud/2')).toEqual([b]);
    const c = pod('c', 9003, 'HEALTHY');
    // Ready on another pod: that is what the EDS says, and a later loss holds c, counted afresh.
    expect(hold.apply([route], table([a], [c]), 300).table.get('fraud/2')).toEqual([c]);
    const later = hold.apply([route], table([a], []), 10_000);
    expect(later.table.get('fraud/2')).toEqual([c]);
    expect(later.expiresAt).toBe(13_000);
  });

  it('drops a version no route names any more', () => {
    const hold = new LastEndpointHold(undefined, 3000);
    hold.apply([route], table([a], [b]), 0);
    hold.apply([], table([a], []), 10);
    // Named again later with no endpoint: nothing left to hold.
    expect(hold.apply([route], table([a], []), 20).table.get('fraud/2')).toEqual([]);
  });

  it('calls for the build that ends the hold', async () => {
    let rebuilds = 0;
    const hold = new LastEndpointHold(() => rebuilds++, 50);
    hold.tableFor([route], table([a], [b]));
    expect(hold.tableFor([route], table([a], [])).get('fraud/2')).toEqual([b]);
    const until = Date.now() + 5000;
    while (rebuilds === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(rebuilds).toBe(1);
    expect(hold.tableFor([route], table([a], [])).get('fraud/2')).toEqual([]);
    hold.stop();
  });
});
