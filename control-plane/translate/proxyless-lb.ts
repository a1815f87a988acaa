// The gRPC flavor's load_balancing_policy for a version whose policy asks for ORCA
// (docs/ENDPOINTS.md, "Load reports (ORCA)"): client_side_weighted_round_robin (gRFC A58),
// which weighs each endpoint by the load reports the pods attach to every response, then plain
// round_robin for a client that does not implement it (gRFC A52: the first policy the client
// knows wins). Envoy keeps the tuned endpoint weights: it has no per-call ORCA picker.
import { create } from '@bufbuild/protobuf';
import {
  type LoadBalancingPolicy,
  LoadBalancingPolicySchema,
} from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClientSideWeightedRoundRobinSchema } from '../../protos/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin_pb.js';
import { RoundRobinSchema } from '../../protos/gen/envoy/extensions/load_balancing_policies/round_robin/v3/round_robin_pb.js';
import type { ModelRoute, ProxylessBalancing } from '../policy/types.js';
import { duration, pack, shared } from './proto.js';
import type { Flavor } from './types.js';

/** The ORCA settings when this route's proxyless clients balance by load reports, else undefined. */
export function orcaBalancing(route: ModelRoute, flavor: Flavor): ProxylessBalancing | undefined {
  const b = route.spec.proxylessBalancing;
  return flavor === 'grpc' && b?.mode === 'orca' && route.spec.lbPolicy !== 'RING_HASH' ? b : undefined;
}

export function orcaLoadBalancingPolicy(b: ProxylessBalancing): LoadBalancingPolicy {
  const key = `${b.reportPeriod}|${b.blackoutPeriod}|${b.weightExpiration}|${b.weightUpdatePeriod}|${b.errorUtilizationPenalty}`;
  return shared('orca-lb', key, () =>
    create(LoadBalancingPolicySchema, {
      policies: [
        {
          typedExtensionConfig: {
            name: 'envoy.load_balancing_policies.client_side_weighted_round_robin',
            typedConfig: pack(
              ClientSideWeightedRoundRobinSchema,
              create(ClientSideWeightedRoundRobinSchema, {
                // Out of band: grpc-js 1.14.7 parses orca.proto again for every per-call report
                // (docs/ENDPOINTS.md, "Load reports (ORCA)").
                enableOobLoadReport: true,
                oobReportingPeriod: duration(b.reportPeriod),
                blackoutPeriod: duration(b.blackoutPeriod),
                weightExpirationPeriod: duration(b.weightExpiration),
                weightUpdatePeriod: duration(b.weightUpdatePeriod),
                errorUtilizationPenalty: b.errorUtilizationPenalty,
              }),
            ),
          },
        },
        {
          typedExtensionConfig: {
            name: 'envoy.load_balancing_policies.round_robin',
            typedConfig: pack(RoundRobinSchema, create(RoundRobinSchema)),
          },
        },
      ],
    }),
  );
}
