// The policy's service-config entry, as grpc-js-xds hands it over from the cluster's TypedStruct
// (its fields flattened from google.protobuf.Struct: numbers arrive as doubles).
import type { experimental } from '@grpc/grpc-js';
import { ResourceValidationError } from '../../errors/index.js';
import { LEAST_LOAD_POLICY } from './name.js';

/** How long another client's calls, as a pod last reported them, still count. */
export const DEFAULT_REPORT_TTL_MS = 1000;

export class LeastLoadConfig implements experimental.TypedLoadBalancingConfig {
  constructor(readonly reportTtlMs = DEFAULT_REPORT_TTL_MS) {}

  getLoadBalancerName(): string {
    return LEAST_LOAD_POLICY;
  }

  toJsonObject(): object {
    return { [LEAST_LOAD_POLICY]: { report_ttl_ms: this.reportTtlMs } };
  }

  static createFromJson(obj: unknown): LeastLoadConfig {
    const ttl = (obj as { report_ttl_ms?: unknown } | null)?.report_ttl_ms;
    if (ttl === undefined) return new LeastLoadConfig();
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0)
      throw new ResourceValidationError(LEAST_LOAD_POLICY, [
        {
          path: 'report_ttl_ms',
          message: `must be a positive number of milliseconds, got ${JSON.stringify(ttl)}`,
        },
      ]);
    return new LeastLoadConfig(ttl);
  }
}
