// The publisher's isolation per model, on a real snapshot cache: a conflict or a model whose
// resources cannot be built holds back that model only; the rest publishes.
import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../kernel/log/index.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import { type ModelRoute, parsePolicyFile } from '../policy/index.js';
import type { EndpointInfo, EndpointTable } from '../translate/types.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { TYPE } from '../xds/resource-types.js';
import { SnapshotPublisher } from './snapshot-publisher.js';

function route(name: string, model: string): ModelRoute {
  return parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${name}, namespace: default }
spec:
  model: ${model}
  mtls: DISABLE
  versions: [{ name: "v1" }]
`,
    `${name}.yaml`,
  )[0]!;
}

const ep = (port: number, weight?: number): EndpointInfo => ({
  address: '127.0.0.1',
  port,
  health: 'HEALTHY',
  ...(weight !== undefined ? { weight } : {}),
  podId: `pod-${port}`,
});

function setup() {
  const cache = new SnapshotCache();
  const metrics = new ControlPlaneMetrics();
  const publisher = new SnapshotPublisher(cache, metrics, createLogger('test', { level: 'silent' }));
  const names = (group: string, url: string) => [
    ...cache
      .get(group)!
      .type(url as never)
      .resources.keys(),
  ];
  const ports = (group: string, cluster: string) => {
    const r = cache.get(group)!.type(TYPE.EDS).resources.get(cluster);
    if (!r) return undefined;
    const cla = fromBinary(ClusterLoadAssignmentSchema, r.any.value);
    return cla.endpoints.flatMap((l) =>
      l.lbEndpoints.map((e) =>
        e.hostIdentifier.case === 'endpoint' &&
        e.hostIdentifier.value.address?.address.case === 'socketAddress'
          ? (e.hostIdentifier.value.address.address.value.portSpecifier.value as number)
          : 0,
      ),
    );
  };
  return { cache, metrics, publisher, names, ports };
}

describe('snapshot publisher: isolation per model', () => {
  const mlp = route('mlp', 'mlp');
  const mlpTwo = route('mlp-two', 'mlp');
  const bee = route('bee', 'bee');

  it('serves the owner of a contested model, reports the other policy by name, publishes everything else', async () => {
    const { publisher, names, metrics } = setup();
    const table: EndpointTable = new Map([
      ['mlp/v1', [ep(9001)]],
      ['bee/v1', [ep(9101)]],
    ]);
    expect(publisher.publish([mlpTwo, bee, mlp], table)).toBe(true);
    for (const g of publisher.groups()) expect(g.lastError).toBeUndefined();
    expect(names('grpc', TYPE.CDS).sort()).toEqual(['bee/v1', 'mlp/v1']);
    const problems = publisher.models();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      model: 'mlp',
      policy: 'default/mlp-two',
      code: 'SY_POLICY_CONFLICT',
      serving: 'owner',
    });
    expect(problems[0]!.message).toContain('already routed by default/mlp');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/switchyard_models_not_served\{reason="SY_POLICY_CONFLICT"\} 1/);
  });

  it('holds back a model whose endpoints cannot be encoded; it keeps its last good resources, the others move on', () => {
    const { publisher, ports } = setup();
    publisher.publish(
      [mlp, bee],
      new Map([
        ['mlp/v1', [ep(9001, 50)]],
        ['bee/v1', [ep(9101)]],
      ]),
    );
    expect(ports('grpc', 'mlp/v1')).toEqual([9001]);

    // mlp's pod now reports a NaN weight; bee moves to another endpoint in the same push.
    const bad = new Map([
      ['mlp/v1', [ep(9002, Number.NaN)]],
      ['bee/v1', [ep(9102)]],
    ]);
    expect(publisher.publish([mlp, bee], bad)).toBe(true);
    for (const g of publisher.groups()) expect(g.lastError).toBeUndefined();
    expect(ports('grpc', 'bee/v1')).toEqual([9102]);
    expect(ports('envoy', 'bee/v1')).toEqual([9102]);
    expect(ports('grpc', 'mlp/v1')).toEqual([9001]);
    const [p] = publisher.models();
    expect(p).toMatchObject({
      model: 'mlp',
      policy: 'default/mlp',
      code: 'SY_RESOURCE_INVALID',
      serving: 'last-good',
    });
    expect(p!.groups).toEqual(['envoy', 'grpc']);
    expect(p!.message).toMatch(/NaN/);

    // Fixed: mlp publishes its current endpoints again and the problem is gone.
    publisher.publish(
      [mlp, bee],
      new Map([
        ['mlp/v1', [ep(9003, 40)]],
        ['bee/v1', [ep(9102)]],
      ]),
    );
    expect(ports('grpc', 'mlp/v1')).toEqual([9003]);
    expect(publisher.models()).toEqual([]);
  });

  it('serves nothing for a model that never had good resources, and forgets a model that is gone', () => {
    const { publisher, names } = setup();
    publisher.publish(
      [mlp, bee],
      new Map([
        ['mlp/v1', [ep(9001, -3)]],
        ['bee/v1', [ep(9101)]],
      ]),
    );
    expect(names('grpc', TYPE.CDS)).toEqual(['bee/v1']);
    expect(names('grpc', TYPE.LDS)).toEqual(['bee']);
    expect(publisher.models()[0]).toMatchObject({ model: 'mlp', serving: 'nothing' });
    publisher.publish([bee], new Map([['bee/v1', [ep(9101)]]]));
    expect(publisher.models()).toEqual([]);
  });

  it('inspects a route for a dry run per flavor without changing what is served or reported', async () => {
    const { publisher, ports } = setup();
    publisher.publish([mlp], new Map([['mlp/v1', [ep(9001, 50)]]]));
    const bad = new Map([['mlp/v1', [ep(9002, Number.NaN)]]]);
    const checks = await publisher.inspect(mlp, bad, 0);
    expect(checks.map((c) => [c.flavor, c.code])).toEqual([
      ['envoy', 'SY_RESOURCE_INVALID'],
      ['grpc', 'SY_RESOURCE_INVALID'],
    ]);
    expect(checks[0]!.issues.map((i) => i.message).join('\n')).toMatch(/NaN/);
    expect(await publisher.inspect(mlp, new Map([['mlp/v1', [ep(9003, 40)]]]), 0)).toEqual([]);
    // Nothing remembered: no fault reported, and the next publish of the same inputs serves them.
    expect(publisher.models()).toEqual([]);
    publisher.publish([mlp], new Map([['mlp/v1', [ep(9004, 50)]]]));
    expect(ports('grpc', 'mlp/v1')).toEqual([9004]);
    expect(publisher.models()).toEqual([]);
  });
});

describe('snapshot publisher: in slices', () => {
  const many = Array.from({ length: 200 }, (_, i) => route(`m${i}`, `m${i}`));

  it('gives the event loop turns during a publish and ends with what a publish at once builds', async () => {
    const sliced = setup();
    const whole = setup();
    let turns = 0;
    let done = false;
    const tick = (): void => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const ok = await sliced.publisher.publishSliced(many, new Map(), [], {
      sliceMs: 0,
      superseded: () => false,
    });
    done = true;
    expect(ok).toBe(true);
    // At least one turn per model per flavor with no time per slice.
    expect(turns).toBeGreaterThan(2 * many.length);
    expect(whole.publisher.publish(many, new Map())).toBe(true);
    for (const g of whole.publisher.groups())
      expect(sliced.cache.get(g.group)!.version, g.group).toBe(whole.cache.get(g.group)!.version);
  });

  it('gives up when superseded, leaving the rest to the newer publish', async () => {
    const { publisher, cache } = setup();
    let superseded = false;
    const run = publisher.publishSliced(many, new Map(), [], { sliceMs: 0, superseded: () => superseded });
    superseded = true;
    expect(await run).toBeUndefined();
    expect(cache.groups()).toEqual([]);
  });
});

describe('snapshot publisher: translation caches it owns', () => {
  it('keeps the interned localities bounded by the live pods through pod churn', () => {
    const { publisher, ports } = setup();
    const mlp = route('mlp', 'mlp');
    // Proxyless gRPC gives each weighted pod a locality of its own: 200 pods come and go, two
    // at a time.
    for (let i = 0; i < 100; i++) {
      const live = [ep(10_000 + 2 * i, 10), ep(10_001 + 2 * i, 20)];
      publisher.publish([mlp], new Map([['mlp/v1', live]]));
      expect(publisher.translationCacheSize('grpc', 'locality')).toBeLessThanOrEqual(live.length);
    }
    expect(ports('grpc', 'mlp/v1')).toEqual([10_198, 10_199]);
    // Assignments written as bytes intern no Locality message at all.
    expect(publisher.translationCacheSize('grpc', 'locality')).toBe(0);
  });

  it('forgets a removed model and interns no localities for assignments written as bytes', () => {
    const { publisher, names } = setup();
    const [mlp, bee] = [route('mlp', 'mlp'), route('bee', 'bee')];
    publisher.publish(
      [mlp, bee],
      new Map([
        ['mlp/v1', [ep(9001, 10)]],
        ['bee/v1', [ep(9101, 10), ep(9102, 10)]],
      ]),
    );
    // Written as bytes: no Locality messages to intern (the message path's own sweep is
    // translation-cache.test.ts's).
    expect(publisher.translationCacheSize('grpc', 'locality')).toBe(0);
    publisher.publish([mlp], new Map([['mlp/v1', [ep(9001, 10)]]]));
    // mlp's assignment is memoized (unchanged inputs would keep it); bee's are gone.
    expect(publisher.translationCacheSize('grpc', 'locality')).toBeLessThanOrEqual(1);
    expect(names('grpc', TYPE.CDS)).toEqual(['mlp/v1']);
  });
});
