// What a stream should hold for one type, from a hand-made snapshot (unit test of one module).
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { type EncodedResource, type ResourceRefs, Snapshot, versionOf } from '../cache/snapshot.js';
import { TYPE, type TypeUrl } from '../resource-types.js';
import {
  clustersInUse,
  contentKey,
  desiredResources,
  type ResourceMap,
  retainClusters,
  sameContent,
  sharedDesired,
} from './desired.js';
import { Subscription } from './subscription.js';

const res = (name: string, version = 'v1', refs: ResourceRefs = {}): EncodedResource => ({
  name,
  version,
  any: create(AnySchema),
  refs,
});
const map = (...rs: EncodedResource[]): Map<string, EncodedResource> => new Map(rs.map((r) => [r.name, r]));

function snapshot(types: Partial<Record<TypeUrl, EncodedResource[]>>): Snapshot {
  return new Snapshot(
    new Map(
      Object.entries(types).map(([url, rs]) => [
        url as TypeUrl,
        { version: versionOf(rs), resources: map(...rs) },
      ]),
    ),
  );
}

const named = (...names: string[]) => {
  const s = new Subscription();
  s.replace(names, true);
  return s;
};
const wildcard = () => {
  const s = new Subscription();
  s.replace([], true);
  return s;
};

describe('desiredResources', () => {
  const snap = snapshot({ [TYPE.EDS]: [res('c'), res('a'), res('b')] });

  it('gives a wildcard stream every resource of the type, filtered', () => {
    expect([...desiredResources(snap, TYPE.EDS, wildcard()).keys()]).toEqual(['c', 'a', 'b']);
    const noB = (_t: TypeUrl, n: string) => n !== 'b';
    expect([...desiredResources(snap, TYPE.EDS, wildcard(), noB).keys()]).toEqual(['c', 'a']);
    expect([...desiredResources(snap, TYPE.CDS, wildcard()).keys()]).toEqual([]);
  });

  it('gives a named stream the names that exist, sorted, filtered', () => {
    expect([...desiredResources(snap, TYPE.EDS, named('c', 'x', 'a')).keys()]).toEqual(['a', 'c']);
    const onlyEds = (t: TypeUrl, n: string) => t === TYPE.EDS && n !== 'a';
    expect([...desiredResources(snap, TYPE.EDS, named('c', 'a'), onlyEds).keys()]).toEqual(['c']);
    expect(desiredResources(snap, TYPE.EDS, named('c'), onlyEds).get('c')).toBe(
      snap.type(TYPE.EDS).resources.get('c'),
    );
  });
});

describe('clustersInUse', () => {
  it('collects the clusters referenced by every held map, skipping absent ones', () => {
    const routes = map(res('r1', 'v1', { clusters: ['a', 'b'] }), res('r2', 'v1', {}));
    const listeners = map(res('l1', 'v1', { clusters: ['c'] }));
    expect([...clustersInUse([routes, undefined, listeners])].sort()).toEqual(['a', 'b', 'c']);
    expect(clustersInUse([undefined]).size).toBe(0);
  });
});

describe('retainClusters (make before break)', () => {
  const snap = snapshot({ [TYPE.CDS]: [res('kept', 'v2')] });

  it('keeps a cluster that left the snapshot, in its last form, while held routes use it and the stream wants it', () => {
    const desired = map(res('kept', 'v2'));
    const sent = map(res('kept', 'v1'), res('gone', 'v1'), res('unused', 'v1'));
    const retained = retainClusters(desired, sent, wildcard(), new Set(['gone', 'kept']), snap);
    expect(retained.map((r) => r.name)).toEqual(['gone']);
    expect(retained[0]).toBe(sent.get('gone'));
    expect([...desired.keys()]).toEqual(['kept', 'gone']);
    // The current cluster stays in its new form.
    expect(desired.get('kept')?.version).toBe('v2');
  });

  it('drops a removed cluster the stream no longer wants', () => {
    const desired = map();
    const retained = retainClusters(desired, map(res('gone')), named('other'), new Set(['gone']), snap);
    expect(retained).toEqual([]);
    expect(desired.size).toBe(0);
  });
});

describe('sameContent and contentKey', () => {
  it('compares names and versions, not order', () => {
    const a: ResourceMap = map(res('x', '1'), res('y', '2'));
    expect(sameContent(a, map(res('y', '2'), res('x', '1')))).toBe(true);
    expect(sameContent(a, map(res('x', '1'), res('y', '3')))).toBe(false);
    expect(sameContent(a, map(res('x', '1'), res('z', '2')))).toBe(false);
    expect(sameContent(a, map(res('x', '1')))).toBe(false);
    expect(sameContent(map(res('x', '1')), a)).toBe(false);
    expect(sameContent(map(), map())).toBe(true);
  });

  it('keys content by sorted name and version pairs', () => {
    expect(contentKey(map(res('y', '2'), res('x', '1')))).toBe('x\u00001\ny\u00002');
    expect(contentKey(map())).toBe('');
  });
});

describe('sharedDesired', () => {
  it('gives streams with the same subscription one map per type snapshot, equal to their own', () => {
    const snap = snapshot({ [TYPE.EDS]: [res('c'), res('a'), res('b')] });
    const one = sharedDesired(snap, TYPE.EDS, named('c', 'a'));
    expect(sharedDesired(snap, TYPE.EDS, named('a', 'c'))).toBe(one);
    expect([...one.resources]).toEqual([...desiredResources(snap, TYPE.EDS, named('a', 'c'))]);
    expect(one.names).toBe('a\nc');
    const other = sharedDesired(snap, TYPE.EDS, named('b'));
    expect(other).not.toBe(one);
    expect([...other.resources.keys()]).toEqual(['b']);
    // A wildcard takes the snapshot's order (sorted in real snapshots, as made here).
    expect([...sharedDesired(snap, TYPE.EDS, wildcard()).resources.keys()]).toEqual(['c', 'a', 'b']);
    // A new snapshot of the type is a new answer.
    const next = snapshot({ [TYPE.EDS]: [res('a', 'v2'), res('c')] });
    const moved = sharedDesired(next, TYPE.EDS, named('a', 'c'));
    expect(moved).not.toBe(one);
    expect(moved.resources.get('a')?.version).toBe('v2');
  });

  it('bounds the answers kept per snapshot, still answering right past the bound', () => {
    const snap = snapshot({ [TYPE.EDS]: [res('a')] });
    const first = sharedDesired(snap, TYPE.EDS, named('a'));
    for (let i = 0; i < 4096; i++) sharedDesired(snap, TYPE.EDS, named('a', `n${i}`));
    const again = sharedDesired(snap, TYPE.EDS, named('a'));
    expect(again).not.toBe(first);
    expect([...again.resources.keys()]).toEqual(['a']);
  });
});
