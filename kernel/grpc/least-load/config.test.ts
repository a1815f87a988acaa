import { experimental } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPORT_TTL_MS, LeastLoadConfig } from './config.js';
import { LEAST_LOAD_POLICY, registerLeastLoad } from './index.js';

describe('the least-load policy config and its registration', () => {
  it('takes report_ttl_ms, defaults it, and refuses what is not a positive number', () => {
    expect(LeastLoadConfig.createFromJson({}).reportTtlMs).toBe(DEFAULT_REPORT_TTL_MS);
    expect(LeastLoadConfig.createFromJson({ report_ttl_ms: 250 }).reportTtlMs).toBe(250);
    for (const bad of [0, -1, '1s', Number.POSITIVE_INFINITY])
      expect(() => LeastLoadConfig.createFromJson({ report_ttl_ms: bad })).toThrow(/report_ttl_ms/);
  });

  it('registers once under its name, and grpc-js then parses service configs naming it', () => {
    registerLeastLoad();
    registerLeastLoad();
    expect(experimental.isLoadBalancerNameRegistered(LEAST_LOAD_POLICY)).toBe(true);
    const parsed = experimental.parseLoadBalancingConfig({ [LEAST_LOAD_POLICY]: { report_ttl_ms: 300 } });
    expect(parsed).toBeInstanceOf(LeastLoadConfig);
    expect(parsed.toJsonObject()).toEqual({ [LEAST_LOAD_POLICY]: { report_ttl_ms: 300 } });
    // Round-trips: parents re-parse their children's configs from toJsonObject().
    expect(experimental.parseLoadBalancingConfig(parsed.toJsonObject() as never)).toEqual(parsed);
  });
});
