// The gateway's `envoy.filters.http.local_ratelimit` for `spec.access.rateLimit`. One filter
// config on the listener holds every model's buckets as descriptors, so a model's bucket is
// shared by all its routes (REST and gRPC, on the catch-all and the model's own virtual host);
// a per-route config would give each route a bucket of its own. Each route of a limited model
// carries `rate_limits` whose actions build the descriptors [model] and [model, tenant] (the
// tenant from the header the authorization service sets); Envoy consults every matching
// descriptor, and the default bucket (no limit) only when none matches. Refused requests get
// 429, or RESOURCE_EXHAUSTED for gRPC, with `retry-after`.
// The pinned API has no wildcard descriptors, so a `perTenant` limit applies at the gateway to
// the tenants the policy names (API keys' tenants and `tenants`); other tenants (JWT subjects)
// share the model bucket here and get their own at the pods. docs/ACCESS.md.
// https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/local_rate_limit_filter
import { create } from '@bufbuild/protobuf';
import { HeaderValueOption_HeaderAppendAction } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import {
  RateLimitSchema,
  type RateLimit as RouteRateLimit,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import {
  type LocalRateLimitDescriptor,
  LocalRateLimitDescriptorSchema,
} from '../../protos/gen/envoy/extensions/common/ratelimit/v3/ratelimit_pb.js';
import {
  type LocalRateLimit,
  LocalRateLimitSchema,
} from '../../protos/gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb.js';
import type { TokenBucket } from '../../protos/gen/envoy/type/v3/token_bucket_pb.js';
import { TokenBucketSchema } from '../../protos/gen/envoy/type/v3/token_bucket_pb.js';
import { type AccessSpec, type RateLimit, tenantLimit } from '../policy/access.js';
import type { ModelRoute } from '../policy/types.js';
import { TENANT_HEADER } from './ext-authz.js';
import { duration } from './proto.js';

export const RATE_LIMIT_FILTER = 'envoy.filters.http.local_ratelimit';
export const MODEL_DESCRIPTOR = 'switchyard_model';
export const TENANT_DESCRIPTOR = 'switchyard_tenant';
const MAX_UINT32 = 4294967295;
/** The smallest refill interval Envoy accepts. */
const MIN_FILL_MS = 50;

/** A policy rate as Envoy's token bucket: whole tokens per refill, refills of at least 50 ms. */
export function tokenBucket(rate: RateLimit): TokenBucket {
  const { rps, burst } = rate;
  let tokens = rps;
  let ms = 1000;
  if (!Number.isInteger(rps)) {
    ms = Math.round(1000 / rps);
    tokens = 1;
    if (ms < MIN_FILL_MS) {
      ms = MIN_FILL_MS;
      tokens = Math.max(1, Math.round((rps * MIN_FILL_MS) / 1000));
    }
  }
  return create(TokenBucketSchema, {
    maxTokens: burst,
    tokensPerFill: tokens,
    fillInterval: duration(`${ms}ms`),
  });
}

/** The tenants a policy names: its `tenants` entries and its API keys' tenants. */
function namedTenants(access: AccessSpec): string[] {
  const names = new Set(Object.keys(access.rateLimit?.tenants ?? {}));
  for (const k of access.apiKeys ?? []) names.add(k.tenant);
  return [...names].sort();
}

function descriptorsOf(route: ModelRoute): LocalRateLimitDescriptor[] {
  const access = route.spec.access;
  const model = route.spec.model;
  const out: LocalRateLimitDescriptor[] = [];
  if (!access?.rateLimit) return out;
  const entry = (key: string, value: string) => ({ key, value });
  if (access.rateLimit.model)
    out.push(
      create(LocalRateLimitDescriptorSchema, {
        entries: [entry(MODEL_DESCRIPTOR, model)],
        tokenBucket: tokenBucket(access.rateLimit.model),
      }),
    );
  for (const tenant of namedTenants(access)) {
    const limit = tenantLimit(access, tenant);
    if (limit)
      out.push(
        create(LocalRateLimitDescriptorSchema, {
          entries: [entry(MODEL_DESCRIPTOR, model), entry(TENANT_DESCRIPTOR, tenant)],
          tokenBucket: tokenBucket(limit),
        }),
      );
  }
  return out;
}

/** `retry-after` in whole seconds until the slowest bucket has a token again (at least 1). */
function retryAfter(descriptors: readonly LocalRateLimitDescriptor[]): number {
  let s = 1;
  for (const d of descriptors) {
    const b = d.tokenBucket!;
    const ms = Number(b.fillInterval!.seconds) * 1000 + b.fillInterval!.nanos / 1e6;
    s = Math.max(s, Math.ceil(ms / 1000));
  }
  return s;
}

/** The filter's config over every limited model; undefined when no model has a limit. */
export function localRateLimitConfig(routes: readonly ModelRoute[]): LocalRateLimit | undefined {
  const descriptors = routes.flatMap(descriptorsOf);
  if (descriptors.length === 0) return undefined;
  const all = { defaultValue: { numerator: 100 }, runtimeKey: 'switchyard.gateway.rate_limit' };
  return create(LocalRateLimitSchema, {
    statPrefix: 'switchyard_access',
    // Requests of models without a limit match no descriptor and take from this bucket, which
    // never runs dry; limited models' requests do not touch it.
    tokenBucket: { maxTokens: MAX_UINT32, tokensPerFill: MAX_UINT32, fillInterval: duration('1s') },
    alwaysConsumeDefaultTokenBucket: false,
    filterEnabled: all,
    filterEnforced: all,
    descriptors,
    responseHeadersToAdd: [
      {
        header: { key: 'retry-after', value: String(retryAfter(descriptors)) },
        appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
      },
    ],
    rateLimitedAsResourceExhausted: true,
  });
}

/** The `rate_limits` a limited model's routes carry: [model], and [model, tenant]. */
export function routeRateLimits(route: ModelRoute): RouteRateLimit[] {
  const rl = route.spec.access?.rateLimit;
  if (!rl) return [];
  const model = {
    actionSpecifier: {
      case: 'genericKey' as const,
      value: { descriptorKey: MODEL_DESCRIPTOR, descriptorValue: route.spec.model },
    },
  };
  const out: RouteRateLimit[] = [];
  if (rl.model) out.push(create(RateLimitSchema, { actions: [model] }));
  if (rl.perTenant || rl.tenants)
    out.push(
      create(RateLimitSchema, {
        actions: [
          model,
          {
            actionSpecifier: {
              case: 'requestHeaders',
              value: { headerName: TENANT_HEADER, descriptorKey: TENANT_DESCRIPTOR },
            },
          },
        ],
      }),
    );
  return out;
}
