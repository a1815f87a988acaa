// A pod on the cluster's seed list (a pod user that may publish only its own subjects): when the
// NATS node it is connected to is SIGKILLed, it reconnects through another seed and registers
// again within 2 s, and its heartbeats go on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { podSubjects, podSubscribePermission } from '../../kernel/contract/index.js';
import { modelRepoCopy, startTestPod } from '../dataplane/harness.js';
import { PodListener } from '../dataplane/pod-listener.js';
import { NatsCluster } from '../helpers/nats-cluster.js';
import { timeUntil } from './harness.js';

const POD = 'pod-seeds';

let cluster: NatsCluster;
let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
let pod: Pod;
let listener: PodListener | undefined;

beforeAll(async () => {
  cluster = await NatsCluster.start({
    users: [
      { user: POD, publish: [podSubjects(POD).publishPermission], subscribe: podSubscribePermission(POD) },
    ],
  });
  repo = await modelRepoCopy(['mlp']);
  const { user, pass } = cluster.credentials(POD);
  pod = await startTestPod(repo.dir, {
    podId: POD,
    nats: { url: cluster.seeds, user, pass },
    heartbeatIntervalMs: 200,
  });
}, 120_000);
afterAll(async () => {
  await pod?.close();
  await listener?.close();
  await repo?.cleanup();
  await cluster?.cleanup();
});

describe('a pod on a seed list', () => {
  it('registers again through another node within 2 s when its node is killed', async () => {
    const node = await cluster.nodeOf(`switchyard-pod-${POD}`, 30_000);
    // The listener sits on a node that stays up; core NATS routes the pod's messages to it.
    const other = cluster.nodes.find((n) => n !== node)!;
    listener = await PodListener.start({ servers: other.url, ...cluster.credentials() });
    await listener.next('heartbeat', (h) => h.podId === POD, 0, 30_000);
    const before = listener.of('register', POD).length;
    await node.kill();
    const ms = await timeUntil(() => listener!.of('register', POD).length > before, 30_000, 'a registration');
    const moved = await cluster.nodeOf(`switchyard-pod-${POD}`, 10_000);
    process.stdout.write(
      `[cluster] pod re-registered through ${moved.serverName} ${ms.toFixed(0)} ms after SIGKILL of ${node.serverName}\n`,
    );
    expect(moved).not.toBe(node);
    expect(ms).toBeLessThan(2000);
    const from = listener.messages.length;
    await listener.next('heartbeat', (h) => h.podId === POD, from);
  }, 120_000);
});
