// Each policy retry condition, spelled per entry point, written out from Envoy's router filter
// docs and gRFC A44 (docs/TRANSLATION.md), not derived from the tables in retry-on.ts.
import { describe, expect, it } from 'vitest';
import type { RetryOn } from '../policy/types.js';
import { retryConditions } from './retry-on.js';

// condition -> [REST route (retry_on, retriable codes), gRPC route, proxyless gRPC]
const TABLE: [RetryOn, [string, number[]], string, string][] = [
  ['5xx', ['5xx', []], '5xx,internal,unavailable', 'internal,unavailable'],
  ['gateway-error', ['gateway-error', []], 'gateway-error,unavailable', 'unavailable'],
  ['reset', ['reset', []], 'reset', 'unavailable'],
  ['connect-failure', ['connect-failure', []], 'connect-failure', 'unavailable'],
  ['refused-stream', ['refused-stream', []], 'refused-stream', 'unavailable'],
  ['retriable-4xx', ['retriable-4xx', []], '', ''],
  ['unavailable', ['retriable-status-codes', [503]], 'unavailable', 'unavailable'],
  ['internal', ['retriable-status-codes', [500]], 'internal', 'internal'],
  ['resource-exhausted', ['retriable-status-codes', [429]], 'resource-exhausted', 'resource-exhausted'],
  ['deadline-exceeded', ['retriable-status-codes', [504]], 'deadline-exceeded', 'deadline-exceeded'],
  ['cancelled', ['', []], 'cancelled', 'cancelled'],
];

describe('retryConditions', () => {
  it.each(TABLE)('spells %s per entry point', (on, [rest, codes], grpc, proxyless) => {
    expect(retryConditions([on], false, 'rest')).toEqual({ retryOn: rest, retriableStatusCodes: codes });
    expect(retryConditions([on], false, 'grpc')).toEqual({ retryOn: grpc, retriableStatusCodes: [] });
    // Proxyless gRPC has one spelling whatever the entry point.
    for (const entry of ['rest', 'grpc', 'any'] as const)
      expect(retryConditions([on], true, entry)).toEqual({ retryOn: proxyless, retriableStatusCodes: [] });
  });

  it('merges several conditions in Envoy order, with the status codes sorted', () => {
    const all = TABLE.map(([on]) => on);
    expect(retryConditions(all, false, 'rest')).toEqual({
      retryOn: '5xx,gateway-error,reset,connect-failure,refused-stream,retriable-4xx,retriable-status-codes',
      retriableStatusCodes: [429, 500, 503, 504],
    });
    expect(retryConditions(all, false, 'grpc')).toEqual({
      retryOn:
        '5xx,gateway-error,reset,connect-failure,refused-stream,cancelled,deadline-exceeded,internal,resource-exhausted,unavailable',
      retriableStatusCodes: [],
    });
    expect(retryConditions(all, true, 'any')).toEqual({
      retryOn: 'cancelled,deadline-exceeded,internal,resource-exhausted,unavailable',
      retriableStatusCodes: [],
    });
    expect(retryConditions([], false, 'any')).toEqual({ retryOn: '', retriableStatusCodes: [] });
  });

  it('gives the model virtual host, which carries both protocols, both spellings', () => {
    expect(retryConditions(['unavailable', 'deadline-exceeded'], false, 'any')).toEqual({
      retryOn: 'retriable-status-codes,deadline-exceeded,unavailable',
      retriableStatusCodes: [503, 504],
    });
    expect(retryConditions(['5xx', 'cancelled'], false, 'any')).toEqual({
      retryOn: '5xx,cancelled,internal,unavailable',
      retriableStatusCodes: [],
    });
    expect(retryConditions(['internal', 'unavailable'], false, 'any').retriableStatusCodes).toEqual([
      500, 503,
    ]);
  });
});
