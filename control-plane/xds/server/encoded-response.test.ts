import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { DiscoveryResponseSchema } from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { modelSet } from '../../../test/helpers/xds-resources.js';
import { SnapshotEncoder } from '../cache/snapshot.js';
import { TYPE } from '../resource-types.js';
import { encodeResponse, isPreEncoded } from './encoded-response.js';

describe('pre-encoded SotW responses', () => {
  const { snapshot } = new SnapshotEncoder().build(
    modelSet('m', { v1: { weight: 1, ports: [1] }, v2: { weight: 1, ports: [2] } }),
  );
  const cds = snapshot.type(TYPE.CDS);

  it('decode to the full DiscoveryResponse, nonce included', () => {
    const r = encodeResponse(cds, TYPE.CDS, cds.version, cds.resources.values(), 'k', 'nonce-1');
    expect(isPreEncoded(r)).toBe(true);
    const decoded = fromBinary(DiscoveryResponseSchema, r.preEncoded);
    expect(decoded.nonce).toBe('nonce-1');
    expect(decoded.versionInfo).toBe(cds.version);
    expect(decoded.typeUrl).toBe(TYPE.CDS);
    const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
    expect(decoded.resources.map((a) => hex(a.value))).toEqual(
      [...cds.resources.values()].map((x) => hex(x.any.value)),
    );
  });

  it('share the body between nonces and keep nonces apart', () => {
    const a = encodeResponse(cds, TYPE.CDS, cds.version, cds.resources.values(), 'k', 'n-a');
    const b = encodeResponse(cds, TYPE.CDS, cds.version, [], 'k', 'n-b'); // same key: body reused
    expect(fromBinary(DiscoveryResponseSchema, b.preEncoded).resources).toHaveLength(2);
    expect(fromBinary(DiscoveryResponseSchema, a.preEncoded).nonce).toBe('n-a');
    expect(fromBinary(DiscoveryResponseSchema, b.preEncoded).nonce).toBe('n-b');
  });

  it('are told apart from anything else a stream could write, without throwing', () => {
    for (const m of [undefined, null, 'bytes', 7, {}, { preEncoded: 'not a buffer' }, new Uint8Array(1)]) {
      expect(isPreEncoded(m)).toBe(false);
    }
    expect(isPreEncoded({ preEncoded: Buffer.alloc(0), nonce: 'n' })).toBe(true);
  });

  it('keep at most 4096 bodies per snapshot, then start over', () => {
    const { snapshot: own } = new SnapshotEncoder().build(
      modelSet('m', { v1: { weight: 1, ports: [1] }, v2: { weight: 1, ports: [2] } }),
    );
    const t = own.type(TYPE.CDS);
    const count = (key: string) =>
      fromBinary(DiscoveryResponseSchema, encodeResponse(t, TYPE.CDS, t.version, [], key, 'n').preEncoded)
        .resources.length;
    encodeResponse(t, TYPE.CDS, t.version, t.resources.values(), 'k0', 'n');
    for (let i = 1; i < 4096; i++) encodeResponse(t, TYPE.CDS, t.version, [], `k${i}`, 'n');
    // 4096 bodies held: the first one is still shared.
    expect(count('k0')).toBe(2);
    // The 4097th key empties the cache, so the first body is built again from what is given now.
    encodeResponse(t, TYPE.CDS, t.version, [], 'k4096', 'n');
    expect(count('k0')).toBe(0);
  });
});
