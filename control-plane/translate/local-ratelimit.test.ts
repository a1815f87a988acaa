// The gateway's rate limit filter and route actions for policies the goldens do not hold: which
// tenants get a bucket, the order of their buckets, the `retry-after` of slow refills, and
// models without a limit next to limited ones.
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../policy/index.js';
import { TENANT_HEADER } from './ext-authz.js';
import {
  localRateLimitConfig,
  MODEL_DESCRIPTOR,
  routeRateLimits,
  TENANT_DESCRIPTOR,
} from './local-ratelimit.js';

function route(model: string, access: string) {
  return parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model} }
spec:
  model: ${model}
  versions: [{ name: v1, weight: 100 }]
${access}`,
    `${model}.yaml`,
  )[0]!;
}

// Letters first, so YAML reads the digest as a string.
const KEY = (n: number) => n.toString(16).padStart(64, 'a');

/** Each descriptor as its entries `key=value` joined by commas, with its bucket's fill. */
function buckets(routes: Parameters<typeof localRateLimitConfig>[0]) {
  const config = localRateLimitConfig(routes);
  return config?.descriptors.map((d) => ({
    entries: d.entries.map((e) => `${e.key}=${e.value}`).join(','),
    tokens: d.tokenBucket!.tokensPerFill,
  }));
}

function retryAfter(routes: Parameters<typeof localRateLimitConfig>[0]) {
  return localRateLimitConfig(routes)!.responseHeadersToAdd.map((h) => [h.header!.key, h.header!.value]);
}

describe('the rate limit filter config', () => {
  it('gives a bucket only to models with a limit, and none at all when no model has one', () => {
    const open = route('open', '');
    const keyed = route('keyed', `  access:\n    apiKeys: [{ sha256: ${KEY(1)}, tenant: acme }]\n`);
    const limited = route('llm', '  access:\n    rateLimit:\n      model: { rps: 7 }\n');
    expect(localRateLimitConfig([open, keyed])).toBeUndefined();
    expect(buckets([open, keyed, limited])).toEqual([{ entries: `${MODEL_DESCRIPTOR}=llm`, tokens: 7 }]);
  });

  it('gives an API key tenant no bucket of its own when the policy has no per-tenant rate', () => {
    const r = route(
      'llm',
      `  access:
    apiKeys: [{ sha256: ${KEY(1)}, tenant: acme }]
    rateLimit:
      model: { rps: 7 }
`,
    );
    expect(buckets([r])).toEqual([{ entries: `${MODEL_DESCRIPTOR}=llm`, tokens: 7 }]);
  });

  it('orders the tenant buckets by tenant, however the policy lists them', () => {
    const r = route(
      'llm',
      `  access:
    apiKeys:
      - { sha256: ${KEY(1)}, tenant: zeta }
      - { sha256: ${KEY(2)}, tenant: alpha }
    rateLimit:
      perTenant: { rps: 3 }
      tenants: { mid: { rps: 5 } }
`,
    );
    expect(buckets([r])).toEqual([
      { entries: `${MODEL_DESCRIPTOR}=llm,${TENANT_DESCRIPTOR}=alpha`, tokens: 3 },
      { entries: `${MODEL_DESCRIPTOR}=llm,${TENANT_DESCRIPTOR}=mid`, tokens: 5 },
      { entries: `${MODEL_DESCRIPTOR}=llm,${TENANT_DESCRIPTOR}=zeta`, tokens: 3 },
    ]);
  });

  it('answers with retry-after in whole seconds until the slowest bucket refills', () => {
    // 0.4 rps: one token every 2.5 s (2 s and 500 ms in the Duration), so 3 s.
    const slow = route(
      'slow',
      '  access:\n    rateLimit:\n      model: { rps: 0.4 }\n      tenants: { acme: { rps: 0.5 } }\n',
    );
    const fast = route('fast', '  access:\n    rateLimit:\n      model: { rps: 100 }\n');
    expect(retryAfter([fast, slow])).toEqual([['retry-after', '3']]);
    // 2.5 rps refills every 400 ms: at least a second.
    const quick = route('quick', '  access:\n    rateLimit:\n      model: { rps: 2.5 }\n');
    expect(retryAfter([quick])).toEqual([['retry-after', '1']]);
    const half = route('half', '  access:\n    rateLimit:\n      model: { rps: 0.5 }\n');
    expect(retryAfter([fast, half])).toEqual([['retry-after', '2']]);
  });
});

describe("a model's route rate limits", () => {
  const actions = (r: ReturnType<typeof route>) =>
    routeRateLimits(r).map((rl) =>
      rl.actions.map((a) =>
        a.actionSpecifier.case === 'genericKey'
          ? `${a.actionSpecifier.value.descriptorKey}=${a.actionSpecifier.value.descriptorValue}`
          : a.actionSpecifier.case === 'requestHeaders'
            ? `${a.actionSpecifier.value.descriptorKey}<-${a.actionSpecifier.value.headerName}`
            : String(a.actionSpecifier.case),
      ),
    );
  const tenant = `${TENANT_DESCRIPTOR}<-${TENANT_HEADER}`;

  it('are none for a model without access or without a rate limit', () => {
    expect(routeRateLimits(route('open', ''))).toEqual([]);
    expect(
      routeRateLimits(route('keyed', `  access:\n    apiKeys: [{ sha256: ${KEY(1)}, tenant: acme }]\n`)),
    ).toEqual([]);
  });

  it('build the tenant descriptor from perTenant alone, or from tenants alone', () => {
    const perTenant = route('a', '  access:\n    rateLimit:\n      perTenant: { rps: 3 }\n');
    expect(actions(perTenant)).toEqual([[`${MODEL_DESCRIPTOR}=a`, tenant]]);
    const tenants = route('b', '  access:\n    rateLimit:\n      tenants: { acme: { rps: 3 } }\n');
    expect(actions(tenants)).toEqual([[`${MODEL_DESCRIPTOR}=b`, tenant]]);
    const modelOnly = route('c', '  access:\n    rateLimit:\n      model: { rps: 3 }\n');
    expect(actions(modelOnly)).toEqual([[`${MODEL_DESCRIPTOR}=c`]]);
  });
});
