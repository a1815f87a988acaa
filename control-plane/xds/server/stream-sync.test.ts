// Where a stream stands on each resource (stream-sync.ts), for both protocols: pending once sent
// and not answered, acked by an ACK of exactly the content served now, nacked by a NACK of it,
// and pending again when the snapshot changes under an ACKed resource.
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { type EncodedResource, Snapshot, versionOf } from '../cache/snapshot.js';
import { TYPE } from '../resource-types.js';
import { DeltaStream } from './delta-stream.js';
import type { PreEncodedResponse } from './encoded-response.js';
import { SotwStream } from './sotw-stream.js';
import type { StreamHost } from './stream-base.js';
import type { StreamContext } from './stream-context.js';

const res = (name: string, version: string): EncodedResource => ({
  name,
  version,
  any: create(AnySchema, { typeUrl: `t/${name}`, value: new TextEncoder().encode(version) }),
  refs: {},
});
const snap = (rs: EncodedResource[]) =>
  new Snapshot(
    new Map([[TYPE.RDS, { version: versionOf(rs), resources: new Map(rs.map((r) => [r.name, r])) }]]),
  );

const host = (s: Snapshot): StreamHost => ({ attach: () => s, callbacks: {}, now: () => 0 });
const ctx = (): StreamContext => ({ id: 1, protocol: 'sotw', peer: 'p', openedAt: 0 });
const states = (
  stream: { syncOf: SotwStream['syncOf'] },
  s: Snapshot,
  owned: (n: string) => boolean = (n) => n === 'a',
) => stream.syncOf(s, owned).map((r) => `${r.name}:${r.state}`);

describe('SotW stream sync', () => {
  it('pending, acked, pending after a change, nacked', () => {
    const s1 = snap([res('a', '1'), res('b', '1')]);
    const sent: PreEncodedResponse[] = [];
    const stream = new SotwStream(ctx(), host(s1), { write: (m) => sent.push(m), busy: false });
    const req = (nonce: string, version: string, error?: string) =>
      stream.onRequest(
        create(DiscoveryRequestSchema, {
          typeUrl: TYPE.RDS,
          resourceNames: ['a', 'b'],
          responseNonce: nonce,
          versionInfo: version,
          ...(nonce ? {} : { node: { id: 'n' } }),
          ...(error ? { errorDetail: { code: 3, message: error } } : {}),
        }),
      );
    req('', '');
    expect(states(stream, s1)).toEqual(['a:pending']);
    req(sent.at(-1)!.nonce, s1.type(TYPE.RDS).version);
    expect(states(stream, s1)).toEqual(['a:acked']);
    // Only the names `owned` accepts are reported.
    expect(states(stream, s1, () => true)).toEqual(['a:acked', 'b:acked']);
    const s2 = snap([res('a', '2'), res('b', '1')]);
    // Judged against the snapshot served now, even before the stream has looked at it.
    expect(states(stream, s2)).toEqual(['a:pending']);
    stream.onSnapshot(s2);
    req(sent.at(-1)!.nonce, s1.type(TYPE.RDS).version, 'bad route');
    expect(states(stream, s2)).toEqual(['a:nacked']);
    // The resource the NACKed response also carried, unchanged, is still what the client holds.
    expect(states(stream, s2, (n) => n === 'b')).toEqual(['b:acked']);
  });
});

describe('delta stream sync', () => {
  it('pending, acked, nacked', () => {
    const s1 = snap([res('a', '1')]);
    const sent: PreEncodedResponse[] = [];
    const stream = new DeltaStream({ ...ctx(), protocol: 'delta' }, host(s1), {
      write: (m) => sent.push(m),
      busy: false,
    });
    const req = (init: Parameters<typeof create<typeof DeltaDiscoveryRequestSchema>>[1]) =>
      stream.onRequest(create(DeltaDiscoveryRequestSchema, { typeUrl: TYPE.RDS, ...init }));
    req({ resourceNamesSubscribe: ['a'], node: { id: 'n' } });
    expect(states(stream, s1)).toEqual(['a:pending']);
    req({ responseNonce: sent.at(-1)!.nonce });
    expect(states(stream, s1)).toEqual(['a:acked']);
    const s2 = snap([res('a', '2')]);
    stream.onSnapshot(s2);
    expect(states(stream, s2)).toEqual(['a:pending']);
    req({ responseNonce: sent.at(-1)!.nonce, errorDetail: { code: 3, message: 'bad' } });
    expect(states(stream, s2)).toEqual(['a:nacked']);
  });
});
