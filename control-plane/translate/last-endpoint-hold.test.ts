// The last-endpoint hold on hand-made tables (test/placement/last-endpoint-hold.test.ts follows
// one version through a drain): versions that are not the registry's, a version two routes name,
// endpoints the clients had as UNKNOWN, two holds at once, and the rebuild timer.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { type ModelRoute, parsePolicyFile } from '../policy/index.js';
import { LastEndpointHold } from './last-endpoint-hold.js';
import type { EndpointInfo, EndpointTable } from './types.js';

const routeOf = (model: string, spec: string): ModelRoute =>
  parsePolicyFile(policy(model, `mtls: DISABLE\n${spec}`), `${model}.yaml`)[0]!;

const TWO = routeOf(
  'fraud',
  `versions:
  - { name: v1, weight: 50, model: { registry: "fraud:1" } }
  - { name: v2, weight: 50, model: { registry: "fraud:2" } }`,
);

const pod = (port: number, health: EndpointInfo['health'], region = 'eu'): EndpointInfo => ({
  address: '10.0.0.1',
  port,
  region,
  health,
});
const table = (entries: Record<string, EndpointInfo[]>): EndpointTable => new Map(Object.entries(entries));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LastEndpointHold.apply', () => {
  it('passes over versions with discovered or static endpoints', () => {
    const route = routeOf(
      'mixed',
      `versions:
  - { name: v1, weight: 50 }
  - { name: v2, weight: 50, endpoints: [{ address: 10.0.0.2, port: 9000 }] }`,
    );
    const hold = new LastEndpointHold(undefined, 1000);
    const t = table({ 'mixed/v1': [pod(9001, 'HEALTHY')] });
    expect(hold.apply([route], t, 0)).toEqual({ table: t });
    const empty = table({});
    const after = hold.apply([route], empty, 10);
    expect(after.table).toBe(empty);
    expect(after.expiresAt).toBeUndefined();
  });

  it('holds an endpoint the clients had as UNKNOWN as HEALTHY, so the cluster is not left empty', () => {
    const hold = new LastEndpointHold(undefined, 1000);
    hold.apply([TWO], table({ 'fraud/1': [pod(9001, 'HEALTHY')], 'fraud/2': [pod(9002, 'UNKNOWN')] }), 0);
    const held = hold.apply([TWO], table({ 'fraud/1': [pod(9001, 'HEALTHY')], 'fraud/2': [] }), 10);
    expect(held.table.get('fraud/2')).toEqual([pod(9002, 'HEALTHY')]);
  });

  it('ends at the earliest of two holds, then at the other', () => {
    const hold = new LastEndpointHold(undefined, 1000);
    hold.apply([TWO], table({ 'fraud/1': [pod(9001, 'HEALTHY')], 'fraud/2': [pod(9002, 'HEALTHY')] }), 0);
    expect(hold.apply([TWO], table({ 'fraud/2': [pod(9002, 'HEALTHY')] }), 100).expiresAt).toBe(1100);
    // fraud/1 (the first version) ends first, whichever order the versions are visited in.
    const both = hold.apply([TWO], table({}), 400);
    expect(both.expiresAt).toBe(1100);
    expect(both.table.get('fraud/1')).toEqual([pod(9001, 'HEALTHY')]);
    expect(both.table.get('fraud/2')).toEqual([pod(9002, 'HEALTHY')]);
    const one = hold.apply([TWO], table({}), 1100);
    expect(one.expiresAt).toBe(1400);
    expect(one.table.get('fraud/2')).toEqual([pod(9002, 'HEALTHY')]);
    expect(one.table.has('fraud/1')).toBe(false);
  });

  it('lets the first route that names a registry version decide whether it is ready', () => {
    // `eu` reads fraud:2 as ready; `us` keeps only us endpoints, so it would see none.
    const eu = TWO;
    const us = routeOf(
      'fraud-us',
      `residency: { regions: [us] }
versions:
  - { name: v1, weight: 100, model: { registry: "fraud:2" } }`,
    );
    const hold = new LastEndpointHold(undefined, 1000);
    const t = table({ 'fraud/1': [pod(9001, 'HEALTHY')], 'fraud/2': [pod(9002, 'HEALTHY')] });
    expect(hold.apply([eu, us], t, 0)).toEqual({ table: t });
    const again = hold.apply([eu, us], t, 10);
    expect(again.table).toBe(t);
    expect(again.expiresAt).toBeUndefined();
  });
});

describe('LastEndpointHold.tableFor', () => {
  it('keeps one rebuild timer, for the latest table, and none after stop', async () => {
    let rebuilds = 0;
    const hold = new LastEndpointHold(() => rebuilds++, 30);
    hold.tableFor([TWO], table({ 'fraud/1': [pod(9001, 'HEALTHY')], 'fraud/2': [pod(9002, 'HEALTHY')] }));
    const lost = table({ 'fraud/1': [pod(9001, 'HEALTHY')] });
    hold.tableFor([TWO], lost);
    hold.tableFor([TWO], lost);
    const until = Date.now() + 5000;
    while (rebuilds === 0 && Date.now() < until) await sleep(5);
    await sleep(150);
    expect(rebuilds).toBe(1);
    // Another hold, stopped before it ends: no rebuild.
    hold.tableFor([TWO], table({ 'fraud/1': [pod(9001, 'HEALTHY')], 'fraud/2': [pod(9003, 'HEALTHY')] }));
    hold.tableFor([TWO], lost);
    hold.stop();
    await sleep(150);
    expect(rebuilds).toBe(1);
  });

  it('sets no timer while nothing is held, and rebuilds only once the hold has ended', async () => {
    const seen: (readonly EndpointInfo[] | undefined)[] = [];
    const lost = table({ 'fraud/1': [pod(9001, 'HEALTHY')] });
    const hold: LastEndpointHold = new LastEndpointHold(
      () => seen.push(hold.tableFor([TWO], lost).get('fraud/2')),
      40,
    );
    const ready = table({ 'fraud/1': [pod(9001, 'HEALTHY')], 'fraud/2': [pod(9002, 'HEALTHY')] });
    hold.tableFor([TWO], ready);
    await sleep(100);
    expect(seen).toEqual([]);
    hold.tableFor([TWO], lost);
    const until = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < until) await sleep(5);
    // The first rebuild already finds the hold over: the EDS is what the table says.
    expect(seen[0]).toBeUndefined();
    hold.stop();
  });
});
