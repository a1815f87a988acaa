// A pod whose NATS user may not subscribe to its mirror subject: the server refuses the
// subscription, and the pod says so in one warning naming the subject, then registers and serves
// as usual (mirroring is the only thing it cannot do).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { ANNOUNCE_SUBJECT, podSubjects } from '../../kernel/contract/subjects.js';
import { type MemoryLogger, memoryLogger } from '../../kernel/log/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { modelRepoCopy, startTestPod, waitFor } from './harness.js';
import { PodListener } from './pod-listener.js';

const POD = 'pod-no-mirror';

describe('pod without the mirror grant', () => {
  let nats: NatsServer;
  let listener: PodListener;
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let log: MemoryLogger;

  beforeAll(async () => {
    nats = await NatsServer.start();
    const creds = await nats.addUser({
      user: POD,
      publish: [podSubjects(POD).publishPermission],
      subscribe: [ANNOUNCE_SUBJECT],
    });
    listener = await PodListener.start(nats.connectOptions());
    repo = await modelRepoCopy(['affine']);
    log = memoryLogger('pod');
    pod = await startTestPod(repo.dir, {
      podId: POD,
      nats: { url: nats.url, user: creds.user, pass: creds.pass },
      heartbeatIntervalMs: 200,
      log,
    });
  }, 60_000);

  afterAll(async () => {
    await pod?.close();
    await listener?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('logs one warning naming the subject and still registers', async () => {
    await listener.next('register', (r) => r.podId === POD, 0, 30_000);
    const subject = podSubjects(POD).mirror;
    await waitFor(
      'the refusal warning',
      () => log.lines.find((l) => l.startsWith(`WARN nats: cannot subscribe to ${subject}:`)),
      30_000,
    );
    expect(log.lines.filter((l) => l.includes('mirror: config ignored'))).toEqual([]);
  }, 60_000);
});
