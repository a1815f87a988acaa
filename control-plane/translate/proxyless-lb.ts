// The gRPC flavor's load_balancing_policy for a version whose policy asks its proxyless clients
// to balance by the pods' load reports (docs/ENDPOINTS.md, "Load reports (ORCA)" and "Least
// load"). A client takes the first policy in the list it implements (gRFC A52):
//  - `least-load` only: Switchyard's per-call least-load policy, named in a TypedStruct, for
//    clients that registered it (kernel/grpc/least-load);
//  - client_side_weighted_round_robin (gRFC A58), which weighs each endpoint by the load reports
//    the pods stream out of band;
//  - plain round_robin for a client that implements neither.
// Envoy keeps the tuned endpoint weights: it has neither per-call picker.
import { create } from '@bufbuild/protobuf';
import { LEAST_LOAD_POLICY, LEAST_LOAD_TYPE_URL } from '../../kernel/grpc/least-load/name.js';
import {
  type LoadBalancingPolicy,
  LoadBalancingPolicySchema,
} from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClientSideWeightedRoundRobinSchema } from '../../protos/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin_pb.js';
import { RoundRobinSchema } from '../../protos/gen/envoy/extensions/load_balancing_policies/round_robin/v3/round_robin_pb.js';
import { TypedStructSchema } from '../../protos/gen/xds/type/v3/typed_struct_pb.js';
import type { ModelRoute, ProxylessBalancing } from '../policy/types.js';
import { duration, pack, shared } from './proto.js';
import type { Flavor } from './types.js';

/** The settings when this route's proxyless clients balance by load reports, else undefined. */
export function orcaBalancing(route: ModelRoute, flavor: Flavor): ProxylessBalancing | undefined {
  const b = route.spec.proxylessBalancing;
  return flavor === 'grpc' && b !== undefined && b.mode !== 'weights' && route.spec.lbPolicy !== 'RING_HASH'
    ? b
    : undefined;
}

// A TypedStruct with an empty value: the client's policy keeps its defaults.
const LEAST_LOAD = {
  typedExtensionConfig: {
    name: LEAST_LOAD_POLICY,
    typedConfig: pack(
      TypedStructSchema,
      create(TypedStructSchema, { typeUrl: LEAST_LOAD_TYPE_URL, value: {} }),
    ),
  },
};

export function orcaLoadBalancingPolicy(b: ProxylessBalancing): LoadBalancingPolicy {
  const key = `${b.mode}|${b.reportPeriod}|${b.blackoutPeriod}|${b.weightExpiration}|${b.weightUpdatePeriod}|${b.errorUtilizationPenalty}`;
  return shared('orca-lb', key, () =>
    create(LoadBalancingPolicySchema, {
      policies: [
        ...(b.mode === 'least-load' ? [LEAST_LOAD] : []),
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
