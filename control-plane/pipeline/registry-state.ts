// Opens the model registry's JetStream state (catalog KV, promotion KV, artifact Object Store)
// on the control plane's NATS connection.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { ModelService } from '../api/model-service.js';
import { ArtifactStore } from '../registry/artifact-store.js';
import { ModelCatalog } from '../registry/catalog.js';
import { type AuditReader, ModelRegistry } from '../registry/registry.js';
import { RegistryMetrics } from '../registry/registry-metrics.js';
import type { StoreNames } from '../store/store-names.js';

export async function openRegistry(
  nc: NatsConnection,
  o: { names: StoreNames; replicas: number; kek: KeyEncryptionKey; audit?: AuditReader; metrics?: Registry },
): Promise<ModelRegistry> {
  const catalog = await ModelCatalog.open(nc, o.names, o.replicas);
  const artifacts = await ArtifactStore.open(nc, o.names, o.replicas);
  return new ModelRegistry({
    catalog,
    artifacts,
    kek: o.kek,
    ...(o.audit ? { audit: o.audit } : {}),
    ...(o.metrics ? { metrics: new RegistryMetrics(o.metrics) } : {}),
  });
}

/** The registry's API service, when the control plane has a KEK to seal artifacts with. */
export async function openModelService(
  nc: NatsConnection,
  kek: KeyEncryptionKey | undefined,
  o: { names: StoreNames; replicas: number; audit?: AuditReader | undefined; metrics?: Registry },
): Promise<ModelService | undefined> {
  if (!kek) return undefined;
  const { audit, ...rest } = o;
  return new ModelService(await openRegistry(nc, { ...rest, kek, ...(audit ? { audit } : {}) }));
}
