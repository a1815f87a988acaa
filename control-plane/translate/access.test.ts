// Unit checks of the gateway's access translation that the goldens do not show: when the shared
// listener is rebuilt, which clusters it names, and how rates become Envoy token buckets.
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../policy/index.js';
import { listenerRefs } from '../validate/references.js';
import { translate } from './index.js';
import { tokenBucket } from './local-ratelimit.js';
import { TranslationCache } from './translation-cache.js';

function route(model: string, body: string) {
  return parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model} }
spec:
  model: ${model}
  versions: [{ name: v1, weight: 100 }, { name: v2, weight: 0 }]
${body}`,
    `${model}.yaml`,
  )[0]!;
}

const JWT = (uri: string) => `  access:
    jwt:
      issuer: https://issuer.example
      audiences: [a]
      jwks: { uri: ${uri} }
`;

describe('the gateway listener with spec.access', () => {
  it('is rebuilt when a model access changes, not when another part of a policy does', () => {
    const cache = new TranslationCache();
    const open = route('open', '');
    const fraud = route('fraud', JWT('https://issuer.example/jwks'));
    const first = translate({ routes: [open, fraud], endpoints: new Map() }, 'envoy', {}, cache)
      .listeners[0]!;
    // Another policy object for `open`, with a changed timeout: its routes change, the listener not.
    const reweighted = route('open', '  timeout: 5s\n');
    const second = translate({ routes: [reweighted, fraud], endpoints: new Map() }, 'envoy', {}, cache)
      .listeners[0]!;
    expect(second).toBe(first);
    const moved = route('fraud', JWT('https://keys.example/jwks'));
    const third = translate({ routes: [reweighted, moved], endpoints: new Map() }, 'envoy', {}, cache)
      .listeners[0]!;
    expect(third).not.toBe(first);
    expect(listenerRefs(third).clusters).toEqual(['fraud/-/jwks']);
  });

  it('names the JWKS cluster of a remote key set, which CDS carries, and none for inline keys', () => {
    const set = translate(
      { routes: [route('fraud', JWT('http://127.0.0.1:9000/jwks'))], endpoints: new Map() },
      'envoy',
    );
    const refs = listenerRefs(set.listeners[0]!);
    expect(refs.clusters).toEqual(['fraud/-/jwks']);
    expect(set.clusters.map((c) => c.name)).toContain('fraud/-/jwks');
    // Proxyless gRPC gets nothing of it (the pods enforce access themselves).
    const grpc = translate(
      { routes: [route('fraud', JWT('http://127.0.0.1:9000/jwks'))], endpoints: new Map() },
      'grpc',
    );
    expect(grpc.clusters.map((c) => c.name)).not.toContain('fraud/-/jwks');
  });
});

describe('rates as Envoy token buckets', () => {
  const bucket = (rps: number, burst = 10) => {
    const b = tokenBucket({ rps, burst });
    const ms = Number(b.fillInterval!.seconds) * 1000 + b.fillInterval!.nanos / 1e6;
    return { tokens: b.tokensPerFill, ms, max: b.maxTokens };
  };

  it('refills integral rates once a second and others by one token every 1/rps, never under 50 ms', () => {
    expect(bucket(1000, 2000)).toEqual({ tokens: 1000, ms: 1000, max: 2000 });
    expect(bucket(2.5)).toEqual({ tokens: 1, ms: 400, max: 10 });
    expect(bucket(0.5)).toEqual({ tokens: 1, ms: 2000, max: 10 });
    // 333.3 rps: 50 ms refills of 17 tokens (340/s), Envoy's shortest interval.
    expect(bucket(333.3)).toEqual({ tokens: 17, ms: 50, max: 10 });
  });
});
