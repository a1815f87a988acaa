// One sliced publish at a time: changes during one are published once, with the latest inputs,
// when it finishes; a publish at once supersedes the one under way. On a real publisher and cache.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../kernel/log/index.js';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import { type ModelRoute, parsePolicyFile } from '../policy/index.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { TYPE } from '../xds/resource-types.js';
import { PublishScheduler, type Snapshots } from './publish-scheduler.js';
import { SnapshotPublisher } from './snapshot-publisher.js';

const route = (model: string): ModelRoute =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model}, namespace: default }
spec: { model: ${model}, mtls: DISABLE, versions: [{ name: v1 }] }
`,
    `${model}.yaml`,
  )[0]!;

function setup() {
  const cache = new SnapshotCache();
  const publisher = new SnapshotPublisher(
    cache,
    new ControlPlaneMetrics(),
    createLogger('test', { level: 'silent' }),
  );
  let routes: ModelRoute[] = [];
  const finished: Array<{ before: Snapshots; after: Snapshots }> = [];
  const scheduler = new PublishScheduler(
    publisher,
    cache,
    () => ({ routes, endpoints: new Map(), alsoConflicting: [] }),
    (before, after) => finished.push({ before, after }),
    createLogger('test', { level: 'silent' }),
    0,
  );
  const clusters = () => [...(cache.get('grpc')?.type(TYPE.CDS).resources.keys() ?? [])].length;
  return {
    scheduler,
    finished,
    clusters,
    set: (n: number) => {
      routes = Array.from({ length: n }, (_, i) => route(`m${i}`));
    },
  };
}

async function idle(s: PublishScheduler): Promise<void> {
  const end = Date.now() + 30_000;
  while (s.pending) {
    if (Date.now() > end) throw new Error('still publishing');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('PublishScheduler', () => {
  it('publishes changes made during a sliced publish once, with the latest inputs', async () => {
    const w = setup();
    w.set(50);
    w.scheduler.later();
    w.set(60);
    w.scheduler.later();
    w.set(70);
    w.scheduler.later();
    expect(w.scheduler.pending).toBe(true);
    await idle(w.scheduler);
    expect(w.clusters()).toBe(70);
    // The first publish, then one for both later changes.
    expect(w.finished).toHaveLength(2);
    expect(w.finished[0]!.before.get('grpc')).toBeUndefined();
    expect(w.finished[1]!.before.get('grpc')).toBe(w.finished[0]!.after.get('grpc'));
  });

  it('lets a publish at once supersede one under way, keeping the older baseline', async () => {
    const w = setup();
    w.set(100);
    w.scheduler.later();
    w.set(3);
    w.scheduler.now();
    expect(w.clusters()).toBe(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(w.scheduler.pending).toBe(false);
    expect(w.clusters()).toBe(3);
    expect(w.finished).toHaveLength(1);
    expect(w.finished[0]!.before.get('grpc')).toBeUndefined();
  });
});
