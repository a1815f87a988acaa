// Retries and deadlines as Envoy's router applies the served route. Envoy reads HTTP retry
// conditions from :status and gRPC ones from grpc-status only
// (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter,
// x-envoy-retry-on, x-envoy-retry-grpc-on, x-envoy-retriable-status-codes), so each gateway
// route must spell the policy in its own protocol.
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { translate } from '../../control-plane/translate/index.js';
import type { Route } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { policy } from '../helpers/policy-yaml.js';

const GRPC_CODES: Record<string, number> = {
  cancelled: 1,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  internal: 13,
  unavailable: 14,
};

interface Answer {
  readonly status: number;
  readonly grpcStatus?: number;
}

/** Whether Envoy retries `answer` under the route's retry policy (transport failures aside). */
function envoyRetries(route: Route, answer: Answer): boolean {
  if (route.action.case !== 'route') return false;
  const policy = route.action.value.retryPolicy;
  if (!policy) return false;
  const on = new Set(policy.retryOn.split(','));
  const s = answer.status;
  if (on.has('5xx') && s >= 500) return true;
  if (on.has('gateway-error') && [502, 503, 504].includes(s)) return true;
  if (on.has('retriable-4xx') && s === 409) return true;
  if (on.has('retriable-status-codes') && policy.retriableStatusCodes.includes(s)) return true;
  if (answer.grpcStatus !== undefined)
    for (const [name, code] of Object.entries(GRPC_CODES))
      if (on.has(name) && answer.grpcStatus === code) return true;
  return false;
}

function gatewayRoutes(on: string): Map<string, Route> {
  const text = policy('llm', `versions: [{ name: v1 }]\nretries: { attempts: 2, on: [${on}] }`);
  const set = translate({ routes: parsePolicyFile(text, 'llm.yaml'), endpoints: new Map() }, 'envoy');
  const routes = set.routes.flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.routes));
  return new Map(routes.map((r) => [r.name, r]));
}

const UNAVAILABLE_REST: Answer = { status: 503 };
const UNAVAILABLE_GRPC: Answer = { status: 200, grpcStatus: 14 };
const INTERNAL_GRPC: Answer = { status: 200, grpcStatus: 13 };

describe('retry conditions per entry point', () => {
  it('policy `unavailable` retries a REST 503 and a gRPC UNAVAILABLE', () => {
    const r = gatewayRoutes('unavailable');
    expect(envoyRetries(r.get('llm/rest/default')!, UNAVAILABLE_REST)).toBe(true);
    expect(envoyRetries(r.get('llm/grpc/default')!, UNAVAILABLE_GRPC)).toBe(true);
    // The model's own virtual host carries both protocols.
    expect(envoyRetries(r.get('llm/default')!, UNAVAILABLE_REST)).toBe(true);
    expect(envoyRetries(r.get('llm/default')!, UNAVAILABLE_GRPC)).toBe(true);
  });

  it('policy `5xx` retries gRPC server errors, which arrive as 200 + grpc-status', () => {
    const r = gatewayRoutes('5xx');
    expect(envoyRetries(r.get('llm/grpc/default')!, UNAVAILABLE_GRPC)).toBe(true);
    expect(envoyRetries(r.get('llm/grpc/default')!, INTERNAL_GRPC)).toBe(true);
    expect(envoyRetries(r.get('llm/rest/default')!, { status: 500 })).toBe(true);
  });

  it('does not retry what the policy does not name', () => {
    const r = gatewayRoutes('unavailable');
    expect(envoyRetries(r.get('llm/rest/default')!, { status: 500 })).toBe(false);
    expect(envoyRetries(r.get('llm/grpc/default')!, INTERNAL_GRPC)).toBe(false);
    // A cancelled call has no HTTP spelling: REST routes carry no condition for it.
    const c = gatewayRoutes('cancelled');
    const rest = c.get('llm/rest/default')!.action;
    expect(rest.case === 'route' ? rest.value.retryPolicy : 'no route action').toBeUndefined();
  });
});

/**
 * The timeout Envoy's router applies (seconds): with max_stream_duration.grpc_timeout_header_max
 * set, a gRPC request's grpc-timeout replaces the route timeout (capped unless the max is 0);
 * otherwise the route timeout holds (router_filter docs, x-envoy-upstream-rq-timeout-ms and
 * config.route.v3.RouteAction.MaxStreamDuration.grpc_timeout_header_max).
 */
function envoyTimeout(route: Route, grpcTimeoutSeconds: number | undefined): number {
  if (route.action.case !== 'route') throw new Error('no route action');
  const a = route.action.value;
  const routeTimeout = Number(a.timeout?.seconds ?? 15n);
  const max = a.maxStreamDuration?.grpcTimeoutHeaderMax;
  if (!max || grpcTimeoutSeconds === undefined) return routeTimeout;
  const cap = Number(max.seconds);
  return cap === 0 ? grpcTimeoutSeconds : Math.min(cap, grpcTimeoutSeconds);
}

describe('deadlines', () => {
  it("honours a gRPC client's deadline beyond spec.timeout; REST keeps spec.timeout", () => {
    const r = gatewayRoutes('unavailable');
    // spec.timeout defaults to 30s; a streaming client allows 120s.
    expect(envoyTimeout(r.get('llm/grpc/default')!, 120)).toBe(120);
    expect(envoyTimeout(r.get('llm/default')!, 120)).toBe(120);
    expect(envoyTimeout(r.get('llm/grpc/default')!, undefined)).toBe(30);
    expect(envoyTimeout(r.get('llm/rest/default')!, undefined)).toBe(30);
  });
});
