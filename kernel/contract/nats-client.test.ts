// The NATS dialling both programs share: seed lists in either spelling, and the failover timings
// (a change to them changes how fast a pod finds the next node; docs/OPERATIONS.md).
import { describe, expect, it } from 'vitest';
import { decodeMirrorConfig, encodeMirrorConfig } from './mirror-codec.js';
import { NATS_FAILOVER_TIMINGS, seedList } from './nats-client.js';

describe('seedList', () => {
  it('reads a comma-separated string and a list alike, trimming and dropping empty entries', () => {
    expect(seedList('nats://a:4222, nats://b:4222')).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(seedList(['nats://a:4222', ' nats://b:4222,nats://c:4222 '])).toEqual([
      'nats://a:4222',
      'nats://b:4222',
      'nats://c:4222',
    ]);
    expect(seedList('nats://a:4222,,  ,')).toEqual(['nats://a:4222']);
    expect(seedList('')).toEqual([]);
  });
});

describe('NATS_FAILOVER_TIMINGS', () => {
  it('fails the first connect, retries for ever, and waits a quarter second before the same server', () => {
    expect(NATS_FAILOVER_TIMINGS).toEqual({
      timeout: 1000,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      reconnectJitterTLS: 100,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: false,
    });
  });
});

describe('mirror codec', () => {
  it('round-trips a MirrorConfig with every field', () => {
    const init = {
      model: 'fraud',
      fromVersion: 'v1',
      toVersion: 'v2',
      percent: 12.5,
      targets: ['10.0.0.1:9001', '10.0.0.2:9001'],
      tolerance: 0.001,
      revision: 4n,
      sentAtMs: 1_700_000_000_000n,
    };
    const bytes = encodeMirrorConfig(init);
    // Field 1 (model), length-delimited: the wire layout of dataplane.proto.
    expect(Array.from(bytes.subarray(0, 7))).toEqual([0x0a, 0x05, ...new TextEncoder().encode('fraud')]);
    expect(decodeMirrorConfig(bytes)).toMatchObject(init);
  });
});
