// What happens to a request once a route matched: timeout, retries, sticky hashing and
// mirroring. Flavor differences: gRPC reads its deadline from max_stream_duration (gRFC A31),
// retries only on gRPC status names (A44), and ignores mirroring, so its flavor leaves
// mirroring out rather than pretend. Retry conditions also differ per entry point
// (retry-on.ts).
import { create } from '@bufbuild/protobuf';
import type { Duration } from '@bufbuild/protobuf/wkt';
import {
  type RetryPolicy as RetryPolicyProto,
  RetryPolicySchema,
  type RouteAction_HashPolicy,
  RouteAction_HashPolicySchema,
  type RouteAction_MaxStreamDuration,
  RouteAction_MaxStreamDurationSchema,
  type RouteAction_RequestMirrorPolicy,
  RouteAction_RequestMirrorPolicySchema,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { FractionalPercent_DenominatorType } from '../../protos/gen/envoy/type/v3/percent_pb.js';
import type { ModelRouteSpec } from '../policy/types.js';
import { clusterName, restClusterName } from './names.js';
import { duration, shared } from './proto.js';
import { type EntryPoint, retryConditions } from './retry-on.js';
import type { Flavor } from './types.js';

export function buildRetryPolicy(
  spec: ModelRouteSpec,
  flavor: Flavor,
  entry: EntryPoint,
): RetryPolicyProto | undefined {
  const r = spec.retries;
  const { retryOn, retriableStatusCodes } = retryConditions(r.on, flavor === 'grpc', entry);
  if (r.attempts === 0 || retryOn === '') return undefined;
  return create(RetryPolicySchema, {
    retryOn,
    retriableStatusCodes,
    numRetries: r.attempts,
    ...(r.perTryTimeout && flavor === 'envoy' ? { perTryTimeout: duration(r.perTryTimeout) } : {}),
    ...(r.backoff
      ? {
          retryBackOff: {
            baseInterval: duration(r.backoff.baseInterval),
            ...(r.backoff.maxInterval ? { maxInterval: duration(r.backoff.maxInterval) } : {}),
          },
        }
      : {}),
  });
}

export function buildHashPolicy(spec: ModelRouteSpec): RouteAction_HashPolicy[] {
  if (!spec.sticky) return [];
  return [
    create(RouteAction_HashPolicySchema, {
      policySpecifier: { case: 'header', value: { headerName: spec.sticky.header } },
    }),
  ];
}

/** Envoy only: a share of requests copied to the shadow version; its answers are dropped. */
export function buildMirrorPolicies(
  spec: ModelRouteSpec,
  flavor: Flavor,
  entry: EntryPoint,
): RouteAction_RequestMirrorPolicy[] {
  if (!spec.mirror || flavor === 'grpc') return [];
  // A REST request is copied to the shadow version's REST cluster, which speaks its protocol.
  const target = entry === 'rest' ? restClusterName : clusterName;
  const { percent } = spec.mirror;
  const whole = Number.isInteger(percent);
  return [
    create(RouteAction_RequestMirrorPolicySchema, {
      cluster: target(spec.model, spec.mirror.version),
      runtimeFraction: {
        defaultValue: {
          numerator: whole ? percent : Math.round(percent * 10_000),
          denominator: whole
            ? FractionalPercent_DenominatorType.HUNDRED
            : FractionalPercent_DenominatorType.MILLION,
        },
      },
    }),
  ];
}

/**
 * Bytes Envoy buffers per request for retries and mirroring: inference bodies (images, tensors)
 * often pass Envoy's 1 MiB default, and a body over the limit is neither retried nor mirrored
 * (Route.per_request_buffer_limit_bytes, bounded by the listener's
 * per_connection_buffer_limit_bytes). docs/TRANSLATION.md, "What Envoy does with it".
 */
export const BODY_BUFFER_LIMIT = 16 * 1024 * 1024;

/** Route.per_request_buffer_limit_bytes for a model's routes: Envoy buffers what it retries or mirrors. */
export function bodyBufferLimit(flavor: Flavor, common: RouteActionCommon): number | undefined {
  return flavor === 'envoy' && (common.retryPolicy !== undefined || common.requestMirrorPolicies.length > 0)
    ? BODY_BUFFER_LIMIT
    : undefined;
}

/** The fields every route of a model shares, apart from where it sends the request. */
export interface RouteActionCommon {
  readonly timeout?: Duration;
  readonly maxStreamDuration?: RouteAction_MaxStreamDuration;
  readonly retryPolicy?: RetryPolicyProto;
  readonly hashPolicy: RouteAction_HashPolicy[];
  readonly requestMirrorPolicies: RouteAction_RequestMirrorPolicy[];
}

// Envoy: a gRPC caller's deadline (grpc-timeout) replaces the route timeout, uncapped, so a
// long stream the client allows is not cut at spec.timeout.
const GRPC_DEADLINE = create(RouteAction_MaxStreamDurationSchema, { grpcTimeoutHeaderMax: duration('0s') });

/**
 * What `buildRetryPolicy` reads of a policy's retries, spelled as a key: JSON.stringify of the
 * whole policy, three times per model in the Envoy flavor, was a twentieth of a cold build.
 * An absent duration is spelled apart from any duration (durations are never empty).
 */
function retriesKey(r: ModelRouteSpec['retries']): string {
  return `${r.attempts}\u0000${r.on.join(',')}\u0000${r.perTryTimeout ?? ''}\u0000${r.backoff ? `${r.backoff.baseInterval}\u0000${r.backoff.maxInterval ?? ''}` : '\u0001'}`;
}

export function routeActionCommon(
  spec: ModelRouteSpec,
  flavor: Flavor,
  entry: EntryPoint,
): RouteActionCommon {
  const retries = retriesKey(spec.retries);
  // Without mirroring nothing here names the model: equal policies share one object.
  if (!spec.mirror || flavor === 'grpc')
    return shared(
      'action-common',
      `${flavor}${entry}\u0000${retries}\u0000${spec.timeout}\u0000${spec.sticky?.header ?? '\u0001'}`,
      () => buildCommon(spec, flavor, entry, retries),
    );
  return buildCommon(spec, flavor, entry, retries);
}

function buildCommon(
  spec: ModelRouteSpec,
  flavor: Flavor,
  entry: EntryPoint,
  retries: string,
): RouteActionCommon {
  const retryPolicy = shared('retry', `${flavor}${entry}\u0000${retries}`, () =>
    buildRetryPolicy(spec, flavor, entry),
  );
  const timeout = duration(spec.timeout);
  return {
    ...(flavor === 'envoy'
      ? { timeout, ...(entry === 'rest' ? {} : { maxStreamDuration: GRPC_DEADLINE }) }
      : {
          maxStreamDuration: shared('stream', spec.timeout, () =>
            create(RouteAction_MaxStreamDurationSchema, { maxStreamDuration: timeout }),
          ),
        }),
    ...(retryPolicy ? { retryPolicy } : {}),
    hashPolicy: shared('hash', spec.sticky?.header ?? '', () => buildHashPolicy(spec)),
    requestMirrorPolicies: buildMirrorPolicies(spec, flavor, entry),
  };
}
