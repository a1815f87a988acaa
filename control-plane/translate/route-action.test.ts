// What a matched route does, one builder at a time, for what the goldens do not hold: retries
// that leave nothing to retry on, a back-off without a cap, and the shared sub-messages of one
// cache used for both flavors and every entry point.
import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { RetryPolicySchema } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { restClusterName } from './names.js';
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

  // Equal parts are shared by key: a key that missed a field would hand one policy's retries
  // to another in the same translation.
  it('keeps retries that differ in any field the retry policy reads apart', () => {
    const base = 'attempts: 2, on: [5xx, reset]';
    const variants = [
      `retries: { ${base} }`,
      'retries: { attempts: 3, on: [5xx, reset] }',
      'retries: { attempts: 2, on: [5xx] }',
      `retries: { ${base}, perTryTimeout: 1s }`,
      `retries: { ${base}, perTryTimeout: 2s }`,
      `retries: { ${base}, backoff: { baseInterval: 25ms } }`,
      `retries: { ${base}, backoff: { baseInterval: 50ms } }`,
      `retries: { ${base}, backoff: { baseInterval: 25ms, maxInterval: 250ms } }`,
    ].map(specOf);
    const cache = new TranslationCache();
    const fresh = variants.map((v) => buildRetryPolicy(v, 'envoy', 'rest'));
    const shared = interningIn(cache, () =>
      variants.map((v) => routeActionCommon(v, 'envoy', 'rest').retryPolicy),
    );
    expect(shared).toEqual(fresh);
    // Every variant is a different policy, so a shared one for two of them would show.
    const bytes = fresh.map((p) => Buffer.from(toBinary(RetryPolicySchema, p!)).toString('hex'));
    expect(new Set(bytes).size).toBe(variants.length);
  });

  it('shares the common parts of equal policies, and never a mirror, which names the model', () => {
    const cache = new TranslationCache();
    const mirrored = (model: string) =>
      parsePolicyFile(
        policy(
          model,
          'versions: [{ name: v1, weight: 100 }, { name: shadow, weight: 0 }]\nmirror: { version: shadow, percent: 5 }',
        ),
        `${model}.yaml`,
      )[0]!.spec;
    const [a, b, ma, mb] = interningIn(cache, () => [
      routeActionCommon(specOf('timeout: 7s'), 'envoy', 'rest'),
      routeActionCommon(specOf('timeout: 7s'), 'envoy', 'rest'),
      routeActionCommon(mirrored('a'), 'envoy', 'rest'),
      routeActionCommon(mirrored('b'), 'envoy', 'rest'),
    ]);
    expect(b).toBe(a);
    expect(ma!.requestMirrorPolicies[0]!.cluster).toBe(restClusterName('a', 'shadow'));
    expect(mb!.requestMirrorPolicies[0]!.cluster).toBe(restClusterName('b', 'shadow'));
  });
});
