// The control plane's state in NATS JetStream: policies, idempotency keys and the audit trail on
// one connection, with the audited change log recovered before anything is served.
import type { NatsConnection } from '@nats-io/transport-node';
import { InternalError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { AuditedChanges } from '../api/audited-changes.js';
import { AuditLog } from '../audit/audit-log.js';
import { IdempotencyStore } from '../store/idempotency.js';
import { connectNats, type NatsOptions } from '../store/nats-connection.js';
import { PolicyStore } from '../store/policy-store.js';
import type { StoreNames } from '../store/store-names.js';

export interface StateStore {
  readonly nc: NatsConnection;
  readonly store: PolicyStore;
  readonly idempotency: IdempotencyStore;
  readonly audit: AuditLog;
  readonly changes: AuditedChanges;
}

export interface StateStoreOptions {
  /** JetStream replicas for the KV buckets and the audit stream (3 in production). */
  readonly replicas: number;
  /** Bucket, stream and subject names under the installation's prefix. */
  readonly names: StoreNames;
  readonly log: Logger;
  /** The connection a replica already holds for its lease and CA; else one is opened. */
  readonly shared?: NatsConnection;
}

export async function openStateStore(
  nats: NatsOptions | undefined,
  o: StateStoreOptions,
): Promise<StateStore> {
  const { replicas, names, log, shared } = o;
  if (!shared && !nats) throw new InternalError('the state store needs a NATS connection or its options');
  const nc = shared ?? (await connectNats(nats!, log.child('nats')));
  try {
    const store = await PolicyStore.open(nc, log.child('store'), { replicas, bucket: names.policyBucket });
    const idempotency = await IdempotencyStore.open(nc, { replicas, bucket: names.idempotencyBucket });
    const audit = await AuditLog.open(nc, { replicas, names });
    const changes = new AuditedChanges(store, audit, log.child('audit'));
    // Changes a previous process left half done get the outcome the store shows.
    await changes.recover();
    return { nc, store, idempotency, audit, changes };
  } catch (err) {
    // Nothing else holds a connection opened here yet: a store that cannot open must not leave it open.
    if (!shared) await nc.close().catch(() => undefined);
    throw err;
  }
}
