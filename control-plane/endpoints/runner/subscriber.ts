// The NATS side of discovery: subscribes to every pod's register/heartbeat/drain/deregister
// subjects, decodes and checks each message (decode.ts), reports the connection going down and
// coming back, and publishes announce requests. Thin: what a message means is the table's job.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { ANNOUNCE_SUBJECT, allPods, encodeAnnounce } from '../../../kernel/contract/index.js';
import { asSwitchyardError, type SwitchyardError } from '../../../kernel/errors/index.js';
import type { Logger } from '../../../kernel/log/index.js';
import {
  decodePodMessage,
  POD_MESSAGE_KINDS,
  type PodMessage,
  type PodMessageKind,
} from '../model/decode.js';

export interface SignalSink {
  message(msg: PodMessage): void;
  rejected(kind: PodMessageKind, err: SwitchyardError): void;
  /** false when the connection to NATS is lost, true when it is back. */
  connection(up: boolean): void;
}

export class PodSignalSubscriber {
  private readonly subs: Subscription[] = [];
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly sink: SignalSink,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const kind of POD_MESSAGE_KINDS) {
      this.subs.push(
        this.nc.subscribe(allPods(kind), {
          callback: (err, msg) => {
            if (this.stopped) return;
            if (err) {
              // A permissions violation on our own subscription: discovery is blind for this kind.
              this.log.error('subscription to pod messages failed', { kind, error: err.message });
              return;
            }
            let decoded: PodMessage;
            try {
              decoded = decodePodMessage(kind, msg.subject, msg.data);
            } catch (e) {
              this.sink.rejected(kind, asSwitchyardError(e));
              return;
            }
            this.sink.message(decoded);
          },
        }),
      );
    }
    void this.watchConnection();
  }

  /**
   * Whether the server asked this connection to authenticate. Without authentication anyone
   * on the bus may publish pod subjects, so identity checks against the subject prove nothing.
   */
  get authenticated(): boolean {
    return this.nc.info?.auth_required === true;
  }

  /** Asks every pod to publish its registration again (dropped while disconnected). */
  announce(reason: string): void {
    if (this.stopped || this.nc.isClosed()) return;
    try {
      this.nc.publish(ANNOUNCE_SUBJECT, encodeAnnounce({ reason }));
    } catch (err) {
      this.log.warn('announce not sent', { error: (err as Error).message });
    }
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }

  private async watchConnection(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (this.stopped) return;
      if (s.type === 'disconnect') this.sink.connection(false);
      else if (s.type === 'reconnect') this.sink.connection(true);
    }
  }
}
