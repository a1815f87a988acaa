import { create, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import {
  DeltaDiscoveryResponseSchema,
  ResourceSchema,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { modelSet } from '../../../test/helpers/xds-resources.js';
import { type EncodedResource, SnapshotEncoder } from '../cache/snapshot.js';
import { TYPE } from '../resource-types.js';
import { type DeltaParts, encodeDeltaResponse, encodedResource } from './encoded-delta.js';
import { isPreEncoded } from './encoded-response.js';

/** The response as the delta stream built it before: one message, one toBinary. */
function reference(m: DeltaParts): Uint8Array {
  return toBinary(
    DeltaDiscoveryResponseSchema,
    create(DeltaDiscoveryResponseSchema, {
      systemVersionInfo: m.systemVersion,
      resources: m.resources.map((r) =>
        create(ResourceSchema, { name: r.name, version: r.version, resource: r.any }),
      ),
      typeUrl: m.typeUrl,
      removedResources: [...m.removed],
      nonce: m.nonce,
    }),
  );
}

const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');

// A seeded generator, so that a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ALPHABET = ['a', 'z', '/', '.', '-', 'é', 'ß', '模型', '🚀', ' ', '\u0000'];

function text(rand: () => number, max: number): string {
  let out = '';
  const n = Math.floor(rand() * max);
  for (let i = 0; i < n; i++) out += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return out;
}

function resource(name: string, version: string, valueLength: number, typeUrl = TYPE.CDS): EncodedResource {
  const value = new Uint8Array(valueLength);
  for (let i = 0; i < valueLength; i++) value[i] = (i * 31 + name.length) & 0xff;
  return { name, version, any: create(AnySchema, { typeUrl, value }), refs: {} };
}

function expectSame(m: DeltaParts): void {
  const r = encodeDeltaResponse(m);
  expect(isPreEncoded(r)).toBe(true);
  expect(r.nonce).toBe(m.nonce);
  const want = reference(m);
  // Hex only on a mismatch, for a readable diff: the large cases run to megabytes.
  if (!r.preEncoded.equals(want)) expect(hex(r.preEncoded)).toBe(hex(want));
}

describe('delta responses from shared pieces', () => {
  it('are byte for byte what toBinary gives, over random resource sets', () => {
    const rand = rng(20261201);
    for (let round = 0; round < 300; round++) {
      const resources = Array.from({ length: Math.floor(rand() * 6) }, (_, i) =>
        resource(`${text(rand, 12)}#${i}`, text(rand, 20), Math.floor(rand() * 400)),
      );
      const removed = Array.from({ length: Math.floor(rand() * 4) }, () => text(rand, 10));
      expectSame({
        systemVersion: text(rand, 17),
        resources,
        typeUrl: rand() < 0.9 ? TYPE.EDS : '',
        removed,
        nonce: rand() < 0.9 ? `n-${round}` : '',
      });
    }
  });

  it('match with no removals, no resources, and with both empty', () => {
    const rs = [resource('a', '1', 3), resource('b', '2', 0)];
    expectSame({ systemVersion: 'v', resources: rs, typeUrl: TYPE.CDS, removed: [], nonce: 'n' });
    expectSame({ systemVersion: 'v', resources: [], typeUrl: TYPE.CDS, removed: ['gone', ''], nonce: 'n' });
    expectSame({ systemVersion: '', resources: [], typeUrl: TYPE.CDS, removed: [], nonce: 'n' });
  });

  it('match at the varint boundaries of the resource and string lengths', () => {
    // A Resource's length crosses one, two and three varint bytes around 127/128 and 16383/16384.
    const fixed = toBinary(ResourceSchema, create(ResourceSchema, { name: 'r', version: 'v' })).length;
    for (const target of [126, 127, 128, 129, 16_383, 16_384, 16_385, 2_097_152]) {
      for (
        let valueLength = Math.max(0, target - fixed - 8);
        valueLength <= target - fixed + 2;
        valueLength++
      ) {
        const r = resource('r', 'v', valueLength);
        expectSame({ systemVersion: 'v', resources: [r], typeUrl: TYPE.EDS, removed: ['x'], nonce: 'n' });
      }
    }
    for (const len of [127, 128, 16_384]) {
      expectSame({
        systemVersion: 'é'.repeat(len),
        resources: [resource('名'.repeat(len), 'v'.repeat(len), 1)],
        typeUrl: TYPE.EDS,
        removed: ['🚀'.repeat(len)],
        nonce: 'n'.repeat(len),
      });
    }
  });

  it('match for a real snapshot', () => {
    const { snapshot } = new SnapshotEncoder().build(
      modelSet('模型', { v1: { weight: 1, ports: [1] }, v2: { weight: 1, ports: [2] } }),
    );
    for (const url of [TYPE.LDS, TYPE.RDS, TYPE.CDS, TYPE.EDS]) {
      const t = snapshot.type(url);
      expectSame({
        systemVersion: t.version,
        resources: [...t.resources.values()],
        typeUrl: url,
        removed: [],
        nonce: 'n',
      });
    }
  });

  it('encode each resource version once, for every response that carries it', () => {
    const r = resource('shared', '1', 50);
    const first = encodedResource(r);
    expect(encodedResource(r)).toBe(first);
    // Another version is another object, encoded on its own.
    expect(encodedResource(resource('shared', '2', 50))).not.toBe(first);
    const a = encodeDeltaResponse({
      systemVersion: 'v',
      resources: [r],
      typeUrl: TYPE.CDS,
      removed: [],
      nonce: 'a',
    });
    const b = encodeDeltaResponse({
      systemVersion: 'v',
      resources: [r],
      typeUrl: TYPE.CDS,
      removed: [],
      nonce: 'b',
    });
    expect(encodedResource(r)).toBe(first);
    expect(a.preEncoded.equals(b.preEncoded)).toBe(false);
  });
});
