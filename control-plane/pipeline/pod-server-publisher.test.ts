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

  it('translates nothing for a change no Listener reads (health), and follows a pod that moved', async () => {
    const cache = new SnapshotCache();
    const metrics = new ControlPlaneMetrics();
    const publisher = new SnapshotPublisher(cache, metrics, createLogger('t', { level: 'error' }));
    const pod = (port: number, health: 'HEALTHY' | 'UNHEALTHY') =>
      new Map([['d/v1', [{ address: '10.0.0.2', port, health }] as const]]);
    const count = async () =>
      (await metrics.snapshotBuild.get()).values.find(
        (v) => v.labels.group === POD_SERVER_GROUP && v.metricName?.endsWith('_count'),
      )?.value ?? 0;
    expect(publisher.publish([], pod(9002, 'HEALTHY'))).toBe(true);
    const first = cache.get(POD_SERVER_GROUP)!;
    expect([...first.type(TYPE.LDS).resources.keys()]).toEqual([podServerListenerName('10.0.0.2', 9002)]);
    const builds = await count();
    // A new array, the same pod address: no build, the same snapshot.
    expect(publisher.publish([], pod(9002, 'UNHEALTHY'))).toBe(true);
    expect(await count()).toBe(builds);
    expect(cache.get(POD_SERVER_GROUP)).toBe(first);
    // The pod on another port: its Listener follows.
    expect(publisher.publish([], pod(9003, 'UNHEALTHY'))).toBe(true);
    expect(await count()).toBe(builds + 1);
    expect([...cache.get(POD_SERVER_GROUP)!.type(TYPE.LDS).resources.keys()]).toEqual([
      podServerListenerName('10.0.0.2', 9003),
    ]);
  });
});
