// Outlier detection. Every detector's enforcement is written out, because the defaults differ
// and bite: Envoy enforces consecutive-5xx (5) and success rate unless told not to, and gRPC
// enables success-rate ejection whenever enforcing_success_rate is unset. gRPC supports only
// success-rate and failure-percentage ejection (xDS rule 7, docs/XDS.md), so its flavor omits the
// consecutive-failure detectors.
import { create } from '@bufbuild/protobuf';
import {
  type OutlierDetection as OutlierDetectionProto,
  OutlierDetectionSchema,
} from '../../protos/gen/envoy/config/cluster/v3/outlier_detection_pb.js';
import type { OutlierDetection } from '../policy/types.js';
import { duration } from './proto.js';
import type { Flavor } from './types.js';

const ON = 100;
const OFF = 0;

const opt = (n: number | undefined) => (n === undefined ? '' : String(n));

/**
 * What `buildOutlierDetection` reads, spelled as a key for sharing its result: JSON.stringify
 * of the policy per model cost more than the lookup it keys. An absent number is spelled
 * empty, which no number is; keep this in step with the builder.
 */
export function outlierKey(od: OutlierDetection | undefined, flavor: Flavor): string {
  if (!od) return `${flavor}\u0001`;
  return `${flavor}\u0000${od.interval}\u0000${od.baseEjectionTime}\u0000${od.maxEjectionTime}\u0000${od.maxEjectionPercent}\u0000${opt(od.successRateStdevFactor)}\u0000${od.successRateMinimumHosts}\u0000${od.successRateRequestVolume}\u0000${opt(od.failurePercentageThreshold)}\u0000${od.failurePercentageMinimumHosts}\u0000${od.failurePercentageRequestVolume}\u0000${opt(od.consecutive5xx)}\u0000${opt(od.consecutiveGatewayFailure)}`;
}

export function buildOutlierDetection(
  od: OutlierDetection | undefined,
  flavor: Flavor,
): OutlierDetectionProto | undefined {
  if (!od) return undefined;
  const successRate = od.successRateStdevFactor !== undefined;
  const failurePercentage = od.failurePercentageThreshold !== undefined;
  const common = {
    interval: duration(od.interval),
    baseEjectionTime: duration(od.baseEjectionTime),
    maxEjectionTime: duration(od.maxEjectionTime),
    maxEjectionPercent: od.maxEjectionPercent,
    enforcingSuccessRate: successRate ? ON : OFF,
    ...(successRate
      ? {
          successRateStdevFactor: Math.round(od.successRateStdevFactor! * 1000),
          successRateMinimumHosts: od.successRateMinimumHosts,
          successRateRequestVolume: od.successRateRequestVolume,
        }
      : {}),
    enforcingFailurePercentage: failurePercentage ? ON : OFF,
    ...(failurePercentage
      ? {
          failurePercentageThreshold: od.failurePercentageThreshold,
          failurePercentageMinimumHosts: od.failurePercentageMinimumHosts,
          failurePercentageRequestVolume: od.failurePercentageRequestVolume,
        }
      : {}),
  };
  if (flavor === 'grpc') return create(OutlierDetectionSchema, common);
  return create(OutlierDetectionSchema, {
    ...common,
    // Since Envoy 1.28 max_ejection_percent always holds, so 10% of a pool under 10 pods would
    // never eject; this lets the first ejection through (gRPC's A50 already ejects while fewer
    // than max_ejection_percent are out, so its flavor needs no such flag).
    alwaysEjectOneHost: true,
    ...(od.consecutive5xx !== undefined ? { consecutive5xx: od.consecutive5xx } : {}),
    enforcingConsecutive5xx: od.consecutive5xx !== undefined ? ON : OFF,
    ...(od.consecutiveGatewayFailure !== undefined
      ? { consecutiveGatewayFailure: od.consecutiveGatewayFailure }
      : {}),
    enforcingConsecutiveGatewayFailure: od.consecutiveGatewayFailure !== undefined ? ON : OFF,
  });
}
