// Plays the control plane's ear in tests: subscribes to every pod subject and decodes what
// arrives with the dataplane.proto schemas.
import { fromBinary } from '@bufbuild/protobuf';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { podIdOf, SUBJECT_ROOT } from '../../kernel/contract/subjects.js';
import {
  type Deregistration,
  DeregistrationSchema,
  type DrainNotice,
  DrainNoticeSchema,
  type Heartbeat,
  HeartbeatSchema,
  type PodRegistration,
  PodRegistrationSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { NatsConnectOptions } from '../helpers/nats-server.js';
import { waitFor } from './harness.js';

interface Kinds {
  register: PodRegistration;
  heartbeat: Heartbeat;
  drain: DrainNotice;
  deregister: Deregistration;
}

export interface PodMessage {
  readonly kind: keyof Kinds;
  readonly at: number;
  readonly msg: Kinds[keyof Kinds];
}

export class PodListener {
  readonly messages: PodMessage[] = [];

  private constructor(readonly nc: NatsConnection) {}

  static async start(opts: NatsConnectOptions): Promise<PodListener> {
    // Reconnects faster than a pod does, so it is listening again when the pod re-registers.
    const nc = await connect({ ...opts, reconnectTimeWait: 20, maxReconnectAttempts: -1 });
    const l = new PodListener(nc);
    nc.subscribe(`${SUBJECT_ROOT}.>`, {
      callback: (_err, m) => {
        const kind = m.subject.split('.').pop();
        const at = Date.now();
        if (!podIdOf(m.subject)) return;
        if (kind === 'register')
          l.messages.push({ kind, at, msg: fromBinary(PodRegistrationSchema, m.data) });
        else if (kind === 'heartbeat')
          l.messages.push({ kind, at, msg: fromBinary(HeartbeatSchema, m.data) });
        else if (kind === 'drain') l.messages.push({ kind, at, msg: fromBinary(DrainNoticeSchema, m.data) });
        else if (kind === 'deregister')
          l.messages.push({ kind, at, msg: fromBinary(DeregistrationSchema, m.data) });
      },
    });
    await nc.flush();
    return l;
  }

  of<K extends keyof Kinds>(kind: K, podId?: string): Kinds[K][] {
    return this.messages
      .filter((m) => m.kind === kind && (!podId || m.msg.podId === podId))
      .map((m) => m.msg as Kinds[K]);
  }

  /** The first message of a kind after index `from` that satisfies `test`. */
  async next<K extends keyof Kinds>(
    kind: K,
    test: (m: Kinds[K]) => boolean = () => true,
    from = 0,
    timeoutMs = 10_000,
  ): Promise<Kinds[K]> {
    const found = (): Kinds[K] | undefined =>
      this.messages
        .slice(from)
        .filter((m) => m.kind === kind)
        .map((m) => m.msg as Kinds[K])
        .find(test);
    return waitFor(`a ${kind} message`, found, timeoutMs) as Promise<Kinds[K]>;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
