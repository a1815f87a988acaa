// A build that patches the last one (type-record.ts) gives what a fresh encoder's whole build of
// the same set gives: the same type versions, the same resources in the same order, and the same
// type object for a type nothing changed in; and it falls back to a whole build where a patch
// cannot be exact (a renamed resource, a skipped one, many changes, a name added or removed).
import { describe, expect, it } from 'vitest';
import type { ClusterLoadAssignment } from '../../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { parsePolicyFile } from '../../policy/index.js';
import { type EndpointInfo, endpointKey, type ResourceSet, translate } from '../../translate/index.js';
import { PUSH_ORDER, TYPE } from '../resource-types.js';
import { type Snapshot, SnapshotEncoder } from './snapshot.js';

const MODELS = 40;

function routes() {
  return Array.from(
    { length: MODELS },
    (_, i) =>
      parsePolicyFile(
        `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: m${i} }
spec:
  model: m${i}
  versions: [{ name: v1, weight: 70 }, { name: v2, weight: 30 }]
`,
        `m${i}.yaml`,
      )[0]!,
  );
}

function endpoint(m: number, v: number, e: number, port = 9000): EndpointInfo {
  return { address: `10.0.${m}.${v}`, port: port + e, health: 'HEALTHY', zone: `z${e % 2}` };
}

function table(): Map<string, readonly EndpointInfo[]> {
  const t = new Map<string, readonly EndpointInfo[]>();
  for (let m = 0; m < MODELS; m++)
    for (let v = 0; v < 2; v++)
      t.set(
        endpointKey(`m${m}`, `v${v + 1}`),
        Array.from({ length: 3 }, (_, e) => endpoint(m, v, e)),
      );
  return t;
}

/** Every type's version and its resources' names and versions, in map order. */
function shape(s: Snapshot) {
  return PUSH_ORDER.map((url) => ({
    url,
    version: s.type(url).version,
    resources: [...s.type(url).resources].map(([n, r]) => [n, r.version]),
  }));
}

function expectAsFresh(encoder: SnapshotEncoder, set: ResourceSet): Snapshot {
  const { snapshot, issues } = encoder.build(set);
  const fresh = new SnapshotEncoder().build(set);
  expect(issues).toEqual(fresh.issues);
  expect(shape(snapshot)).toEqual(shape(fresh.snapshot));
  expect(snapshot.version).toBe(fresh.snapshot.version);
  return snapshot;
}

describe('SnapshotEncoder patches', () => {
  const rs = routes();
  const base = table();

  it('patches replaced resources into the same versions and order a whole build gives', () => {
    for (const flavor of ['envoy', 'grpc'] as const) {
      const encoder = new SnapshotEncoder();
      const first = expectAsFresh(encoder, translate({ routes: rs, endpoints: base }, flavor));
      // One endpoint moved in one version, then in three others.
      let t = new Map(base);
      t.set(endpointKey('m7', 'v2'), [
        endpoint(7, 1, 0, 7000),
        ...base.get(endpointKey('m7', 'v2'))!.slice(1),
      ]);
      const patched = encoder.patchedCount;
      const second = expectAsFresh(encoder, translate({ routes: rs, endpoints: t }, flavor));
      expect(encoder.patchedCount).toBe(patched + 1);
      // Only the assignments changed: every other type is the same object.
      for (const url of PUSH_ORDER)
        if (url === TYPE.EDS) expect(second.type(url)).not.toBe(first.type(url));
        else expect(second.type(url)).toBe(first.type(url));
      t = new Map(t);
      for (const m of [0, 20, 39]) t.set(endpointKey(`m${m}`, 'v1'), [endpoint(m, 0, 1, 6000)]);
      const third = expectAsFresh(encoder, translate({ routes: rs, endpoints: t }, flavor));
      expect(encoder.patchedCount).toBe(patched + 2);
      expect(third.type(TYPE.EDS).version).not.toBe(second.type(TYPE.EDS).version);
      // The same set again: every type is the last one.
      const again = encoder.build(translate({ routes: rs, endpoints: t }, flavor)).snapshot;
      for (const url of PUSH_ORDER) expect(again.type(url)).toBe(third.type(url));
    }
  });

  it('builds whole where a patch cannot be exact', () => {
    const encoder = new SnapshotEncoder();
    const set = translate({ routes: rs, endpoints: base }, 'grpc');
    expectAsFresh(encoder, set);
    const eds = set.endpoints as ClusterLoadAssignment[];
    // A replaced assignment under another name (the set's order no longer says which it was).
    const renamed = [...eds];
    renamed[3] = { ...eds[3]!, clusterName: 'zz-renamed' };
    expectAsFresh(encoder, { ...set, endpoints: renamed });
    expect(encoder.patchedCount).toBe(0);
    // A name added and one removed, and back.
    expectAsFresh(encoder, { ...set, endpoints: eds.slice(1) });
    expectAsFresh(encoder, set);
    // More than an eighth replaced: a whole build.
    const many = eds.map((c, i) => (i % 3 === 0 ? { ...c, clusterName: c.clusterName } : c));
    expectAsFresh(encoder, { ...set, endpoints: many });
    expect(encoder.patchedCount).toBe(0);
    // One replaced (a copy: the same bytes, so the same resource): nothing to patch.
    const copy = [...set.endpoints];
    copy[2] = { ...eds[2]! };
    const before = encoder.build(set).snapshot;
    expect(encoder.build({ ...set, endpoints: copy }).snapshot.type(TYPE.EDS)).toBe(before.type(TYPE.EDS));
    // A duplicate name is reported as a whole build reports it, and the build after it is whole.
    const dup = [...eds];
    dup[5] = { ...eds[4]! };
    const { issues } = encoder.build({ ...set, endpoints: dup });
    expect(issues).toEqual([
      { path: `endpoints[${eds[4]!.clusterName}]`, message: 'duplicate resource name' },
    ]);
    expectAsFresh(encoder, set);
  });

  it('forgets what patches replaced once it outgrows the snapshot', () => {
    const encoder = new SnapshotEncoder();
    let t = table();
    encoder.build(translate({ routes: rs, endpoints: t }, 'grpc'));
    const held = () => (encoder as unknown as { byVersion: Map<string, unknown> }).byVersion.size;
    const size = held();
    for (let i = 0; i < 200; i++) {
      t = new Map(t);
      t.set(endpointKey(`m${i % MODELS}`, 'v1'), [endpoint(i % MODELS, 0, 0, 1000 + i)]);
      encoder.build(translate({ routes: rs, endpoints: t }, 'grpc'));
      expect(held()).toBeLessThanOrEqual(2 * size + 1);
    }
  });
});
