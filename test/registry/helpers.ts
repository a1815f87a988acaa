// A registry on a real nats-server with JetStream (catalog KV, artifact Object Store, the audit
// stream), a key-file KEK, and ONNX files from the generated model repository.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { AuditLog } from '../../control-plane/audit/audit-log.js';
import { ArtifactStore } from '../../control-plane/registry/artifact-store.js';
import { ModelCatalog } from '../../control-plane/registry/catalog.js';
import { ModelRegistry } from '../../control-plane/registry/registry.js';
import { RegistryMetrics } from '../../control-plane/registry/registry-metrics.js';
import { storeNames } from '../../control-plane/store/store-names.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { NatsServer } from '../helpers/nats-server.js';

const REPO = new URL('../fixtures/models/generated/repo/', import.meta.url).pathname;

export function modelFile(model: string, version = '1'): Uint8Array {
  return new Uint8Array(readFileSync(join(REPO, model, version, 'model.onnx')));
}

export interface RegistryWorld {
  readonly nats: NatsServer;
  readonly nc: NatsConnection;
  readonly registry: ModelRegistry;
  readonly catalog: ModelCatalog;
  readonly artifacts: ArtifactStore;
  readonly audit: AuditLog;
  readonly kek: KeyEncryptionKey;
  /** The registry's Prometheus counters (registry-metrics.ts). */
  readonly metrics: Registry;
  close(): Promise<void>;
}

export async function registryWorld(prefix = 'switchyard', maxFileStore?: number): Promise<RegistryWorld> {
  const nats = await NatsServer.start(maxFileStore ? { maxFileStore } : {});
  const nc = await connect(nats.connectOptions());
  const names = storeNames(prefix);
  const kek = KeyEncryptionKey.fromKeyBytes(new Uint8Array(32).fill(9), 'test key');
  const catalog = await ModelCatalog.open(nc, names);
  const artifacts = await ArtifactStore.open(nc, names);
  const audit = await AuditLog.open(nc, { names });
  const metrics = new Registry();
  const registry = new ModelRegistry({
    catalog,
    artifacts,
    kek,
    audit,
    metrics: new RegistryMetrics(metrics),
  });
  return {
    nats,
    nc,
    registry,
    catalog,
    artifacts,
    audit,
    kek,
    metrics,
    async close() {
      await nc.close();
      await nats.cleanup();
    },
  };
}
