// Wires a managed pod to NATS: the Object Store bucket becomes its artifact source, and every
// PodAssignments on switchyard.pod.<id>.assign is applied. The subscription lives as long as the
// connection (nats.js restores it after a reconnect); the control plane re-sends assignments
// periodically and on every registration, so nothing missed while disconnected is lost.
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeAssignments, podSubjects } from '../../kernel/contract/index.js';
import type { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { ArtifactSource } from './artifact-fetch.js';
import type { ManagedModels } from './managed-models.js';

export function subscribeAssignments(
  nc: NatsConnection,
  podId: string,
  managed: ManagedModels,
  artifacts: { readonly bucket: string; readonly kek: KeyEncryptionKey },
  log: Logger,
): void {
  managed.setFetcher(new ArtifactSource(nc, artifacts.bucket, artifacts.kek));
  const subject = podSubjects(podId).assign;
  nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) {
        log.error(`managed: subscription to ${subject} failed: ${err.message}`);
        return;
      }
      try {
        const a = decodeAssignments(msg.data);
        if (a.podId !== podId) {
          log.warn(`managed: ignoring assignments for pod ${a.podId} on ${subject}`);
          return;
        }
        void managed.apply(a);
      } catch (e) {
        log.warn(`managed: undecodable assignments on ${subject}: ${(e as Error).message}`);
      }
    },
  });
  log.info(`managed: taking assignments on ${subject}, artifacts from bucket ${artifacts.bucket}`);
}
