// Opens the model registry's JetStream state (catalog KV, promotion KV, artifact Object Store)
// on the control plane's NATS connection.
import type { NatsConnection } from '@nats-io/transport-node';
import type { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { ModelService } from '../api/model-service.js';
import { ArtifactStore } from '../registry/artifact-store.js';
import { ModelCatalog } from '../registry/catalog.js';
import { type AuditReader, ModelRegistry } from '../registry/registry.js';
import type { StoreNames } from '../store/store-names.js';

export async function openRegistry(
  nc: NatsConnection,
  o: { names: StoreNames; replicas: number; kek: KeyEncryptionKey; audit?: AuditReader },
): Promise<ModelRegistry> {
  const catalog = await ModelCatalog.open(nc, o.names, o.replicas);
  const artifacts = await ArtifactStore.open(nc, o.names, o.replicas);
  return new ModelRegistry({ catalog, artifacts, kek: o.kek, ...(o.audit ? { audit: o.audit } : {}) });
}

/** The registry's API service, when the control plane has a KEK to seal artifacts with. */
export async function openModelService(
  nc: NatsConnection,
  kek: KeyEncryptionKey | undefined,
  o: { names: StoreNames; replicas: number; audit?: AuditReader | undefined },
): Promise<ModelService | undefined> {
  if (!kek) return undefined;
  const { audit, ...rest } = o;
  return new ModelService(await openRegistry(nc, { ...rest, kek, ...(audit ? { audit } : {}) }));
}
