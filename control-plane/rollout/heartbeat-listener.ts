// Feeds HeartbeatFigures from the pods' heartbeat subjects. Messages whose body names another pod
// than the subject are dropped: figures must come from the pod they describe.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { allPods, decodePodBody, podIdOf } from '../../kernel/contract/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { HeartbeatFigures } from './heartbeat-figures.js';

export function listenToHeartbeats(nc: NatsConnection, figures: HeartbeatFigures, log: Logger): Subscription {
  return nc.subscribe(allPods('heartbeat'), {
    callback: (err, msg) => {
      if (err) {
        log.error('rollout: subscription to heartbeats failed', { error: err.message });
        return;
      }
      try {
        const hb = decodePodBody('heartbeat', msg.data);
        if (hb.podId !== podIdOf(msg.subject)) return;
        figures.record(hb.podId, hb.models);
      } catch {
        // Undecodable bodies are discovery's to report (it sees the same messages).
      }
    },
  });
}
