// The small builders: durations as google.protobuf.Duration, and where `shared` keeps its
// sub-messages (the current cache only; none outside a translation, the outer one again after a
// nested one, even when the nested one throws).

import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { ApiVersion } from '../../protos/gen/envoy/config/core/v3/config_source_pb.js';
import { adsConfigSource, duration, interningIn, pack, shared } from './proto.js';
import { TranslationCache } from './translation-cache.js';

describe('duration', () => {
  it('splits a policy duration into whole seconds and nanoseconds', () => {
    const plain = (text: string) => {
      const d = duration(text);
      return [d.seconds, d.nanos];
    };
    expect(plain('1.5s')).toEqual([1n, 500_000_000]);
    expect(plain('250ms')).toEqual([0n, 250_000_000]);
    expect(plain('2m')).toEqual([120n, 0]);
    expect(plain('0s')).toEqual([0n, 0]);
  });
});

describe('pack', () => {
  it('wraps a message in an Any with its type URL', () => {
    const any = pack(DurationSchema, duration('1.5s'));
    expect(any.typeUrl).toBe('type.googleapis.com/google.protobuf.Duration');
    // seconds 1 (field 1, varint), nanos 500,000,000 (field 2, varint).
    expect([...any.value]).toEqual([8, 1, 16, 128, 202, 181, 238, 1]);
  });
});

describe('shared', () => {
  it('builds anew outside a translation, and once per cache inside one', () => {
    let builds = 0;
    const build = () => ({ n: ++builds });
    expect(shared('k', 'x', build)).not.toBe(shared('k', 'x', build));
    const a = new TranslationCache();
    const b = new TranslationCache();
    const [first, again] = interningIn(a, () => [shared('k', 'x', build), shared('k', 'x', build)]);
    expect(again).toBe(first);
    const inB = interningIn(a, () => {
      const inner = interningIn(b, () => shared('k', 'x', build));
      // Back in `a` after the nested call.
      expect(shared('k', 'x', build)).toBe(first);
      return inner;
    });
    expect(inB).not.toBe(first);
    expect(b.has('k', 'x')).toBe(true);
    expect(() =>
      interningIn(a, () =>
        interningIn(b, () => {
          throw new Error('boom');
        }),
      ),
    ).toThrow('boom');
    // Nothing current any more: a fresh value each time.
    expect(shared('k', 'x', build)).not.toBe(first);
    expect(interningIn(a, () => shared('k', 'x', build))).toBe(first);
  });
});

describe('adsConfigSource', () => {
  it('points everything at the one ADS stream, xDS v3', () => {
    const c = adsConfigSource();
    expect(c.configSourceSpecifier.case).toBe('ads');
    expect(c.resourceApiVersion).toBe(ApiVersion.V3);
  });
});
