// Outlier detection per flavor: every enforcement is explicit, and gRPC gets only the detectors
// it implements (docs/XDS.md, rule 7).
import { describe, expect, it } from 'vitest';
import type { OutlierDetection } from '../policy/types.js';
import { buildOutlierDetection } from './outlier.js';

const base: OutlierDetection = {
  successRateMinimumHosts: 3,
  successRateRequestVolume: 50,
  failurePercentageMinimumHosts: 4,
  failurePercentageRequestVolume: 60,
  interval: '10s',
  baseEjectionTime: '30s',
  maxEjectionTime: '300s',
  maxEjectionPercent: 20,
};
const secs = (d: { seconds: bigint; nanos: number } | undefined) =>
  d ? Number(d.seconds) + d.nanos / 1e9 : undefined;
const plain = (o: ReturnType<typeof buildOutlierDetection>) => ({
  interval: secs(o?.interval),
  baseEjectionTime: secs(o?.baseEjectionTime),
  maxEjectionTime: secs(o?.maxEjectionTime),
  maxEjectionPercent: o?.maxEjectionPercent,
  enforcingSuccessRate: o?.enforcingSuccessRate,
  successRateStdevFactor: o?.successRateStdevFactor,
  successRateMinimumHosts: o?.successRateMinimumHosts,
  successRateRequestVolume: o?.successRateRequestVolume,
  enforcingFailurePercentage: o?.enforcingFailurePercentage,
  failurePercentageThreshold: o?.failurePercentageThreshold,
  failurePercentageMinimumHosts: o?.failurePercentageMinimumHosts,
  failurePercentageRequestVolume: o?.failurePercentageRequestVolume,
  alwaysEjectOneHost: o?.alwaysEjectOneHost,
  consecutive5xx: o?.consecutive5xx,
  enforcingConsecutive5xx: o?.enforcingConsecutive5xx,
  consecutiveGatewayFailure: o?.consecutiveGatewayFailure,
  enforcingConsecutiveGatewayFailure: o?.enforcingConsecutiveGatewayFailure,
});

describe('buildOutlierDetection', () => {
  it('builds nothing without a policy', () => {
    expect(buildOutlierDetection(undefined, 'envoy')).toBeUndefined();
    expect(buildOutlierDetection(undefined, 'grpc')).toBeUndefined();
  });

  it('turns every detector off unless the policy sets it (Envoy would enforce 5xx and success rate)', () => {
    expect(plain(buildOutlierDetection(base, 'envoy'))).toEqual({
      interval: 10,
      baseEjectionTime: 30,
      maxEjectionTime: 300,
      maxEjectionPercent: 20,
      enforcingSuccessRate: 0,
      successRateStdevFactor: undefined,
      successRateMinimumHosts: undefined,
      successRateRequestVolume: undefined,
      enforcingFailurePercentage: 0,
      failurePercentageThreshold: undefined,
      failurePercentageMinimumHosts: undefined,
      failurePercentageRequestVolume: undefined,
      alwaysEjectOneHost: true,
      consecutive5xx: undefined,
      enforcingConsecutive5xx: 0,
      consecutiveGatewayFailure: undefined,
      enforcingConsecutiveGatewayFailure: 0,
    });
  });

  it('enforces each detector the policy sets, with its thresholds; stdev factor in thousandths', () => {
    const od: OutlierDetection = {
      ...base,
      consecutive5xx: 5,
      consecutiveGatewayFailure: 3,
      successRateStdevFactor: 1.9,
      failurePercentageThreshold: 85,
    };
    expect(plain(buildOutlierDetection(od, 'envoy'))).toEqual({
      interval: 10,
      baseEjectionTime: 30,
      maxEjectionTime: 300,
      maxEjectionPercent: 20,
      enforcingSuccessRate: 100,
      successRateStdevFactor: 1900,
      successRateMinimumHosts: 3,
      successRateRequestVolume: 50,
      enforcingFailurePercentage: 100,
      failurePercentageThreshold: 85,
      failurePercentageMinimumHosts: 4,
      failurePercentageRequestVolume: 60,
      alwaysEjectOneHost: true,
      consecutive5xx: 5,
      enforcingConsecutive5xx: 100,
      consecutiveGatewayFailure: 3,
      enforcingConsecutiveGatewayFailure: 100,
    });
  });

  it('gives gRPC only success rate and failure percentage, and no always-eject flag', () => {
    const od: OutlierDetection = {
      ...base,
      consecutive5xx: 5,
      consecutiveGatewayFailure: 3,
      failurePercentageThreshold: 50,
    };
    expect(plain(buildOutlierDetection(od, 'grpc'))).toEqual({
      interval: 10,
      baseEjectionTime: 30,
      maxEjectionTime: 300,
      maxEjectionPercent: 20,
      enforcingSuccessRate: 0,
      successRateStdevFactor: undefined,
      successRateMinimumHosts: undefined,
      successRateRequestVolume: undefined,
      enforcingFailurePercentage: 100,
      failurePercentageThreshold: 50,
      failurePercentageMinimumHosts: 4,
      failurePercentageRequestVolume: 60,
      alwaysEjectOneHost: undefined,
      consecutive5xx: undefined,
      enforcingConsecutive5xx: undefined,
      consecutiveGatewayFailure: undefined,
      enforcingConsecutiveGatewayFailure: undefined,
    });
  });
});
