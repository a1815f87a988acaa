// What the snapshot cache sends is toBinary's bytes for every resource of every golden case,
// in both flavors and with the gateway's routes as a list and as a matcher tree: assignments as
// written, clusters by the memo encoder, route configurations assembled from per-host and
// per-route pieces.
import { type Message, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { goldenCaseNames, readGoldenCase } from '../../../test/translate-e2e/golden-cases.js';
import { translate } from '../../translate/index.js';
import { PUSH_ORDER, RESOURCE_TYPES } from '../resource-types.js';
import { SnapshotEncoder } from './snapshot.js';

function nameOf(msg: Message): string {
  const m = msg as unknown as { name?: string; clusterName?: string };
  return m.clusterName ?? m.name ?? '';
}

describe('snapshot bytes', () => {
  it("are toBinary's for every resource of every golden case", () => {
    let resources = 0;
    for (const name of goldenCaseNames()) {
      const { input, options } = readGoldenCase(name);
      const variants = [
        ['envoy', options],
        ['grpc', options],
        ['envoy', { ...options, gatewayRouteMatcher: 'tree' as const }],
      ] as const;
      for (const [flavor, opts] of variants) {
        const set = translate(input, flavor, opts);
        const { snapshot, issues } = new SnapshotEncoder().build(set);
        expect(issues).toEqual([]);
        for (const url of PUSH_ORDER) {
          const { field, schema } = RESOURCE_TYPES[url];
          for (const msg of set[field] as readonly Message[]) {
            const sent = snapshot.type(url).resources.get(nameOf(msg));
            expect(sent, `${name} ${flavor} ${url} ${nameOf(msg)}`).toBeDefined();
            expect(Buffer.from(sent!.any.value).equals(Buffer.from(toBinary(schema, msg)))).toBe(true);
            resources++;
          }
        }
      }
    }
    expect(resources).toBeGreaterThan(500);
  });
});
