// What control-plane replicas share besides policies: the lease that elects the one replica
// running singleton work, and (with --ca-store jetstream) the CA and the bootstrap tokens, all in
// JetStream on one NATS connection. Opened before the ControlPlane is built, because the CA's
// trust domain shapes the xDS server; the ControlPlane then starts, uses and closes all of it.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { Logger } from '../../kernel/log/index.js';
import { LEADER_GROUP, Lease, openLeaseBucket, registerLeaseMetrics } from '../lease/index.js';
import type { KeyEncryptionKey } from '../pki/index.js';
import {
  JetStreamTokenStore,
  openCaBucket,
  openTokenBucket,
  ReplicatedCa,
  seedFromFileCa,
} from '../pki/index.js';
import { connectNats, type NatsOptions } from '../store/nats-connection.js';

export interface ReplicaStateOptions {
  /** Bucket name prefix (default "switchyard"). */
  readonly prefix?: string;
  readonly replicas?: number;
  /** This replica's name in the lease. */
  readonly replica: string;
  readonly leaseTtlMs?: number;
  /** The CA in JetStream: keys sealed with `kek`; `seedDir` (a file CA) fills an empty bucket. */
  readonly pki?: { readonly kek: KeyEncryptionKey; readonly seedDir?: string; readonly now?: () => Date };
}

export interface ReplicaState {
  readonly nc: NatsConnection;
  readonly lease: Lease;
  readonly ca?: ReplicatedCa;
  readonly tokens?: JetStreamTokenStore;
}

/** The lease's token after checking it in the store: what every singleton write passes. */
export function leaseFence(lease: Lease): () => Promise<number> {
  return async () => {
    const token = lease.token();
    await lease.checkFence(token);
    return token;
  };
}

/**
 * Starts the lease (calling `onLeader` each time this replica becomes leader, and exporting it on
 * `registry`), then the CA's watch.
 */
export async function startReplicaState(
  r: ReplicaState,
  onLeader: () => void,
  registry?: Registry,
): Promise<void> {
  if (registry) registerLeaseMetrics(r.lease, registry);
  r.lease.onChange((held) => {
    if (held) onLeader();
  });
  await r.lease.start();
  await r.ca?.start();
}

/** Stops following the CA and releases the lease; the NATS connection is its owner's to close. */
export async function stopReplicaState(r: ReplicaState): Promise<void> {
  r.ca?.stop();
  await r.lease.stop().catch(() => undefined);
}

export async function openReplicaState(
  nats: NatsOptions | NatsConnection,
  o: ReplicaStateOptions,
  log: Logger,
): Promise<ReplicaState> {
  const nc = 'servers' in nats ? await connectNats(nats, log.child('nats')) : nats;
  try {
    const buckets = {
      ...(o.prefix ? { prefix: o.prefix } : {}),
      ...(o.replicas ? { replicas: o.replicas } : {}),
    };
    const lease = new Lease({
      kv: await openLeaseBucket(nc, buckets),
      group: LEADER_GROUP,
      holder: o.replica,
      ...(o.leaseTtlMs ? { ttlMs: o.leaseTtlMs } : {}),
      log: log.child('lease'),
    });
    if (!o.pki) return { nc, lease };
    const kv = await openCaBucket(nc, buckets);
    if (o.pki.seedDir && (await seedFromFileCa(kv, o.pki.kek, o.pki.seedDir)))
      log.info('CA copied from its directory into JetStream', { dir: o.pki.seedDir });
    const ca = await ReplicatedCa.open({
      kv,
      kek: o.pki.kek,
      fence: leaseFence(lease),
      ...(o.pki.now ? { now: o.pki.now } : {}),
      log: log.child('ca'),
    });
    return { nc, lease, ca, tokens: new JetStreamTokenStore(await openTokenBucket(nc, buckets)) };
  } catch (err) {
    if ('servers' in nats) await nc.close().catch(() => undefined);
    throw err;
  }
}
