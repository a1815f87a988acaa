// The gateway's listener, routes and clusters read the way Envoy reads them: cluster stats
// under a dotted model name, which peers count as internal, how much of a request body Envoy
// keeps for retries and mirroring, and a policy rule for a combination Envoy silently resolves.
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { type ResourceSet, translate } from '../../control-plane/translate/index.js';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';

function policy(model: string, extra = ''): string {
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: p }
spec:
  model: ${model}
  versions: [{ name: v1 }]
${extra}`;
}

function envoySet(text: string): ResourceSet {
  return translate({ routes: parsePolicyFile(text, 'p.yaml'), endpoints: new Map() }, 'envoy');
}

// Envoy's default tag extractor for cluster stats (source/common/config/well_known_names.cc,
// envoy.cluster_name): the name ends at the first dot.
const CLUSTER_NAME_TAG = /^cluster\.((.+?)\.)/;

describe('the Envoy gateway as Envoy reads it', () => {
  it('reports a dotted model name whole in cluster stats (alt_stat_name)', () => {
    const c = envoySet(policy('llama-3.1-8b')).clusters[0]!;
    const statName = c.altStatName || c.name;
    const tag = CLUSTER_NAME_TAG.exec(`cluster.${statName}.upstream_rq_total`)![2];
    expect(tag).toBe('llama-3_1-8b/v1');
    // Undotted names keep their name as is.
    expect(envoySet(policy('resnet')).clusters[0]!.altStatName).toBe('');
  });

  it('counts no peer as internal (internal_address_config set, empty)', () => {
    const l = envoySet(policy('resnet')).listeners[0]!;
    const tc = l.filterChains[0]!.filters[0]!.configType;
    const hcm = tc.case === 'typedConfig' ? anyUnpack(tc.value, HttpConnectionManagerSchema)! : undefined;
    expect(hcm!.useRemoteAddress).toBe(true);
    expect(hcm!.internalAddressConfig).toBeDefined();
    expect(hcm!.internalAddressConfig!.cidrRanges).toEqual([]);
    expect(hcm!.internalAddressConfig!.unixSockets).toBe(false);
  });

  it('times out slow headers and idle connections, as Envoy edge best practices say', () => {
    const l = envoySet(policy('resnet')).listeners[0]!;
    const tc = l.filterChains[0]!.filters[0]!.configType;
    const hcm = tc.case === 'typedConfig' ? anyUnpack(tc.value, HttpConnectionManagerSchema)! : undefined;
    // Unset, Envoy waits for headers forever (request_headers_timeout defaults to 0: disabled).
    expect(Number(hcm!.requestHeadersTimeout?.seconds ?? 0n)).toBe(10);
    expect(Number(hcm!.streamIdleTimeout?.seconds)).toBe(300);
    expect(Number(hcm!.commonHttpProtocolOptions?.idleTimeout?.seconds)).toBe(3600);
  });

  it('keeps a 5 MiB inference body for retries and mirroring', () => {
    const set = envoySet(
      policy(
        'resnet',
        `  retries: { attempts: 2, on: [unavailable] }\n  mirror: { version: v1, percent: 5 }`,
      ),
    );
    const listenerLimit = set.listeners[0]!.perConnectionBufferLimitBytes ?? 1024 * 1024;
    const body = 5 * 1024 * 1024;
    const routes = set.routes.flatMap((rc) => rc.virtualHosts.flatMap((vh) => vh.routes));
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) {
      // Envoy buffers min(route limit, listener limit); unset route limit: the listener's.
      const buffered = Math.min(r.perRequestBufferLimitBytes ?? listenerLimit, listenerLimit);
      expect(buffered, r.name).toBeGreaterThanOrEqual(body);
    }
  });

  it('refuses a retry budget together with circuitBreakers.maxRetries', () => {
    const text = policy(
      'resnet',
      `  retries: { attempts: 2, budget: { percent: 20, minConcurrency: 3 } }\n  circuitBreakers: { maxRetries: 3 }`,
    );
    let issues: string[] = [];
    try {
      parsePolicyFile(text, 'p.yaml');
    } catch (err) {
      if (!(err instanceof PolicyValidationError)) throw err;
      issues = err.issues.map((i) => `${i.path}: ${i.message}`);
    }
    expect(issues).toEqual([
      expect.stringMatching(
        /^spec\.circuitBreakers\.maxRetries: cannot be combined with spec\.retries\.budget/,
      ),
    ]);
  });
});
