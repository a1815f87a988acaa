// The pods' node group is published with every snapshot, apart from the client groups: its
// Listeners follow the policies, an unchanged publish changes nothing, and the client groups
// never carry a server Listener.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../kernel/log/index.js';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import { parsePolicyFile } from '../policy/index.js';
import { podServerListenerName } from '../translate/index.js';
import { POD_SERVER_GROUP } from '../translate/node-role.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { TYPE } from '../xds/resource-types.js';
import { PUBLISHED_GROUPS, SnapshotPublisher } from './snapshot-publisher.js';

const route = (identities: string) =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: m, namespace: default }
spec:
  model: m
  mtls: STRICT
  versions:
    - { name: v1, weight: 100, endpoints: [{ address: 10.0.0.1, port: 9001 }] }
  access:
    identities: [${identities}]`,
    'm.yaml',
  );

const NAME = podServerListenerName('10.0.0.1', 9001);

describe("the pods' server group", () => {
  it('publishes one Listener per pod address, alone in its group, and follows the policy', () => {
    const cache = new SnapshotCache();
    const publisher = new SnapshotPublisher(
      cache,
      new ControlPlaneMetrics(),
      createLogger('t', { level: 'error' }),
    );
    expect(publisher.publish(route('spiffe://switchyard.local/ns/a/sa/x'), new Map())).toBe(true);
    const first = cache.get(POD_SERVER_GROUP)!;
    expect([...first.type(TYPE.LDS).resources.keys()]).toEqual([NAME]);
    for (const t of [TYPE.RDS, TYPE.CDS, TYPE.EDS]) expect(first.type(t).resources.size).toBe(0);
    for (const g of PUBLISHED_GROUPS) expect(cache.get(g)!.type(TYPE.LDS).resources.has(NAME)).toBe(false);
    const status = publisher.groups().find((s) => s.group === POD_SERVER_GROUP)!;
    expect(status).toMatchObject({ version: first.version, resources: { listeners: 1 } });
    expect(status.lastError).toBeUndefined();
    // The same policy again: the same snapshot; another identity: a new Listener version.
    publisher.publish(route('spiffe://switchyard.local/ns/a/sa/x'), new Map());
    expect(cache.get(POD_SERVER_GROUP)!.version).toBe(first.version);
    publisher.publish(route('spiffe://switchyard.local/ns/b/sa/y'), new Map());
    const next = cache.get(POD_SERVER_GROUP)!;
    expect(next.version).not.toBe(first.version);
    expect(next.type(TYPE.LDS).resources.get(NAME)!.version).not.toBe(
      first.type(TYPE.LDS).resources.get(NAME)!.version,
    );
  });
});
