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
});
