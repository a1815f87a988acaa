// What a matched route does, one builder at a time, for what the goldens do not hold: retries
// that leave nothing to retry on, a back-off without a cap, and the shared sub-messages of one
// cache used for both flavors and every entry point.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { interningIn } from './proto.js';
import { buildRetryPolicy, routeActionCommon } from './route-action.js';
import { TranslationCache } from './translation-cache.js';

const specOf = (extra: string) =>
  parsePolicyFile(policy('m', `versions: [{ name: v1, weight: 100 }]\n${extra}`), 'm.yaml')[0]!.spec;

const secs = (d: { seconds: bigint; nanos: number } | undefined) =>
  d ? Number(d.seconds) + d.nanos / 1e9 : undefined;

describe('buildRetryPolicy', () => {
  it('has no policy where no condition applies to the entry point', () => {
    const spec = specOf('retries: { attempts: 2, on: [retriable-4xx] }');
    expect(buildRetryPolicy(spec, 'envoy', 'grpc')).toBeUndefined();
    expect(buildRetryPolicy(spec, 'grpc', 'any')).toBeUndefined();
    expect(buildRetryPolicy(spec, 'envoy', 'rest')?.retryOn).toBe('retriable-4xx');
  });

  it('leaves the back-off uncapped when the policy sets no maximum', () => {
    const p = buildRetryPolicy(
      specOf('retries: { attempts: 2, on: [5xx], backoff: { baseInterval: 25ms } }'),
      'envoy',
      'rest',
    )!;
    expect(secs(p.retryBackOff?.baseInterval)).toBe(0.025);
    expect(p.retryBackOff?.maxInterval).toBeUndefined();
    expect(p.numRetries).toBe(2);
    expect(p.perTryTimeout).toBeUndefined();
  });
});

describe('routeActionCommon in one cache', () => {
  const spec = specOf('timeout: 7s\nretries: { attempts: 2, on: [5xx, unavailable], perTryTimeout: 1s }');

  it('keeps each flavor and entry point its own retry policy', () => {
    const cache = new TranslationCache();
    const [envoyRest, envoyGrpc, grpc] = interningIn(cache, () => [
      routeActionCommon(spec, 'envoy', 'rest'),
      routeActionCommon(spec, 'envoy', 'grpc'),
      routeActionCommon(spec, 'grpc', 'grpc'),
    ]);
    expect(envoyRest!.retryPolicy?.retryOn).toBe('5xx,retriable-status-codes');
    expect(envoyGrpc!.retryPolicy?.retryOn).toBe('5xx,internal,unavailable');
    expect(grpc!.retryPolicy?.retryOn).toBe('internal,unavailable');
    expect(secs(envoyGrpc!.retryPolicy?.perTryTimeout)).toBe(1);
    expect(grpc!.retryPolicy?.perTryTimeout).toBeUndefined();
  });

  it('gives Envoy the route timeout, and gRPC its deadline, per timeout', () => {
    const cache = new TranslationCache();
    const other = specOf('timeout: 9s');
    const [envoyRest, envoyGrpc, grpc7, grpc9] = interningIn(cache, () => [
      routeActionCommon(spec, 'envoy', 'rest'),
      routeActionCommon(spec, 'envoy', 'grpc'),
      routeActionCommon(spec, 'grpc', 'grpc'),
      routeActionCommon(other, 'grpc', 'grpc'),
    ]);
    expect(secs(envoyRest!.timeout)).toBe(7);
    expect(envoyRest!.maxStreamDuration).toBeUndefined();
    expect(secs(envoyGrpc!.maxStreamDuration?.grpcTimeoutHeaderMax)).toBe(0);
    expect(grpc7!.timeout).toBeUndefined();
    expect(secs(grpc7!.maxStreamDuration?.maxStreamDuration)).toBe(7);
    expect(secs(grpc9!.maxStreamDuration?.maxStreamDuration)).toBe(9);
  });

  it('hashes on the sticky header of each route, and on nothing without one', () => {
    const cache = new TranslationCache();
    const [a, b, none] = interningIn(cache, () => [
      routeActionCommon(specOf('sticky: { header: x-session }'), 'envoy', 'rest'),
      routeActionCommon(specOf('sticky: { header: x-user }'), 'envoy', 'rest'),
      routeActionCommon(specOf(''), 'envoy', 'rest'),
    ]);
    const header = (c: typeof a) =>
      c!.hashPolicy.map((h) =>
        h.policySpecifier.case === 'header' ? h.policySpecifier.value.headerName : '?',
      );
    expect(header(a)).toEqual(['x-session']);
    expect(header(b)).toEqual(['x-user']);
    expect(none!.hashPolicy).toEqual([]);
  });
});
