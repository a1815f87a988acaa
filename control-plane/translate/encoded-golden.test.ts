// The wire bytes of every golden case, per flavor and resource type, pinned as SHA-256 digests
// in testdata/encoded.sha256.json. The YAML golden files compare proto3 JSON, which cannot see
// how a message was encoded (field order, packed Any payloads, hand-written encodings); this
// compares what the xDS server sends, so a faster translation must produce the very same bytes.
// `UPDATE_GOLDEN=1 npx vitest run control-plane/translate` rewrites it with the YAML files.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { goldenCaseNames, readGoldenCase } from '../../test/translate-e2e/golden-cases.js';
import { type Flavor, type ResourceSet, translate } from './index.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const FILE = new URL('./testdata/encoded.sha256.json', import.meta.url);
const FLAVORS: readonly Flavor[] = ['envoy', 'grpc'];
const TYPES: ReadonlyArray<[keyof ResourceSet, DescMessage]> = [
  ['listeners', ListenerSchema],
  ['routes', RouteConfigurationSchema],
  ['clusters', ClusterSchema],
  ['endpoints', ClusterLoadAssignmentSchema],
];

type Digests = Record<string, Record<string, Record<string, string>>>;

/** One digest per type: each resource's length and bytes, in output order. */
function digests(set: ResourceSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [type, schema] of TYPES) {
    const h = createHash('sha256');
    for (const m of set[type] as readonly Message[]) {
      const bytes = toBinary(schema, m);
      h.update(`${bytes.length}:`);
      h.update(bytes);
    }
    out[type] = `${(set[type] as readonly Message[]).length}:${h.digest('hex')}`;
  }
  return out;
}

const expected: Digests = UPDATE ? {} : JSON.parse(readFileSync(FILE, 'utf8'));
const actual: Digests = {};

describe('golden translation, encoded', () => {
  for (const name of goldenCaseNames()) {
    for (const flavor of FLAVORS) {
      it(`${name} (${flavor}) encodes to the pinned bytes`, () => {
        const { input, options } = readGoldenCase(name);
        const got = digests(translate(input, flavor, options));
        actual[name] = { ...actual[name], [flavor]: got };
        if (!UPDATE) {
          expect(expected[name]?.[flavor], `${name} is not pinned (UPDATE_GOLDEN=1 writes it)`).toBeDefined();
          expect(got).toEqual(expected[name]![flavor]);
        }
      });
    }
  }
  afterAll(() => {
    if (!UPDATE) return;
    const sorted = Object.fromEntries(
      Object.keys(actual)
        .sort()
        .map((k) => [k, actual[k]]),
    );
    writeFileSync(FILE, `${JSON.stringify(sorted, null, 1)}\n`);
  });
});
