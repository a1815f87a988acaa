// The model registry: push (checked by ONNX Runtime, encrypted, idempotent), list, describe,
// stage changes under the namespace's promotion policy, approvals, delete, and the artifact hand
// out with its residency check. Every change is audited; a refused stage change is audited too.
// docs/REGISTRY.md.
import {
  artifactKeyLabel,
  artifactObjectName,
  encryptArtifactChunks,
  newDataKey,
  sealedLength,
  sha256Digest,
} from '../../kernel/artifacts/index.js';
import { type KeyEncryptionKey, openKey, sealKey } from '../../kernel/crypto/index.js';
import { ForbiddenError, NotFoundError, PolicyConflictError } from '../../kernel/errors/index.js';
import type { AuditAction, AuditRecord } from '../audit/audit-chain.js';
import type { AuditSink } from '../audit/audit-log.js';
import { type ArtifactStore, CHUNK_BYTES, type Progress } from './artifact-store.js';
import type { ModelCatalog } from './catalog.js';
import { PromotionRefusedError, ResidencyRefusedError, VersionConflictError } from './errors.js';
import {
  NO_POLICY,
  type PromotionPolicy,
  parsePolicy,
  policyDocument,
  promotionFailures,
} from './governance.js';
import { checkName, checkVersion, type RegistryRef, refText } from './names.js';
import { inspectOnnx, type OnnxChecker } from './onnx-inspect.js';
import { publicView, type RegistryVersion, type Stage } from './record.js';
import type { RegistryMetrics } from './registry-metrics.js';

export interface Actor {
  readonly id: string;
  readonly from?: string;
  readonly via?: string;
}

export interface PushInput extends RegistryRef {
  readonly namespace?: string;
  readonly bytes: Uint8Array;
  /** The sha256 of `bytes` when the caller computed it while reading them (else computed here). */
  readonly digest?: string;
  /** ONNX Runtime's check, started while the bytes arrived (else started here); closed by the caller. */
  readonly checker?: OnnxChecker;
  readonly labels?: Record<string, string>;
  readonly metrics?: Record<string, number>;
  readonly regions?: readonly string[];
  readonly reason?: string;
  readonly configYaml?: string;
}

export type VersionView = ReturnType<typeof publicView>;

export interface PushResult {
  readonly status: 'created' | 'unchanged';
  readonly version: VersionView;
}

export interface AuditReader extends AuditSink {
  read(opts?: { after?: number }): Promise<Array<{ seq: number; record: AuditRecord }>>;
}

export interface RegistryDeps {
  readonly catalog: ModelCatalog;
  readonly artifacts: ArtifactStore;
  readonly kek: KeyEncryptionKey;
  readonly audit?: AuditReader;
  readonly now?: () => Date;
  readonly metrics?: RegistryMetrics;
}

const CAS_ATTEMPTS = 5;

export class ModelRegistry {
  private readonly now: () => Date;
  constructor(private readonly d: RegistryDeps) {
    this.now = d.now ?? (() => new Date());
  }

  private async audit(
    action: AuditAction,
    actor: Actor,
    r: { namespace: string; name: string; version: string },
    extra: { reason?: string; error?: string; diff?: string } = {},
  ): Promise<void> {
    await this.d.audit?.append({
      action,
      who: actor.id,
      at: this.now().toISOString(),
      from: actor.from ?? 'local',
      namespace: r.namespace,
      name: `model:${r.name}:${r.version}`,
      ...(actor.via ? { via: actor.via } : {}),
      phase: extra.error ? 'aborted' : 'committed',
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(extra.error ? { error: extra.error } : {}),
      ...(extra.diff ? { diff: extra.diff } : {}),
    });
  }

  async entry(ref: RegistryRef) {
    const e = await this.d.catalog.get(ref);
    if (!e) throw new NotFoundError(`model version ${refText(ref)} is not in the registry`);
    return e;
  }

  /** The namespace a version belongs to (for RBAC before the change), if it exists. */
  async namespaceOf(ref: RegistryRef): Promise<string | undefined> {
    return (await this.d.catalog.get(ref))?.record.namespace;
  }

  /**
   * The record is created (compare-and-set, `uploading: true`) before the object is written, so
   * a concurrent push of other content for the version loses before it touches the object: it
   * is a conflict and the winner's artifact is never overwritten. A push that finds the same
   * digest still uploading (a concurrent or an interrupted push) writes the object under the
   * record's own data key and clears the flag; either writer's object is then valid.
   */
  async push(input: PushInput, actor: Actor, progress?: Progress): Promise<PushResult> {
    try {
      const result = await this.pushOnce(input, actor, progress);
      this.d.metrics?.push(result.status);
      return result;
    } catch (err) {
      this.d.metrics?.push('failed');
      throw err;
    }
  }

  private async pushOnce(input: PushInput, actor: Actor, progress?: Progress): Promise<PushResult> {
    const ref = { name: checkName(input.name), version: checkVersion(input.version) };
    const what = refText(ref);
    const digest = input.digest ?? sha256Digest(input.bytes);
    const existing = await this.d.catalog.get(ref);
    if (existing) return this.finishExisting(existing.record, input.bytes, what, digest, progress);
    const signature = await inspectOnnx(input.bytes, `${what}: model file`, input.checker);
    const dataKey = newDataKey();
    const record: RegistryVersion = {
      ...ref,
      namespace: checkName(input.namespace ?? 'default', 'namespace'),
      digest,
      sizeBytes: input.bytes.length,
      objectName: artifactObjectName(ref.name, ref.version),
      sealedDataKey: await sealKey(dataKey, this.d.kek, artifactKeyLabel(ref.name, ref.version)),
      inputs: signature.inputs,
      outputs: signature.outputs,
      labels: input.labels ?? {},
      metrics: input.metrics ?? {},
      regions: [...new Set(input.regions ?? [])].sort(),
      stage: 'none',
      pushedBy: actor.id,
      pushedAt: this.now().toISOString(),
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.configYaml ? { configYaml: input.configYaml } : {}),
      approvals: [],
      stageHistory: [],
      uploading: true,
    };
    if (!(await this.d.catalog.create(record))) {
      // Another push of this version created it between our check and our create.
      const winner = await this.entry(ref);
      return this.finishExisting(winner.record, input.bytes, what, digest, progress);
    }
    await this.audit('model-push', actor, record, {
      ...(input.reason ? { reason: input.reason } : {}),
      diff: `+ ${what} ${digest} ${record.sizeBytes} bytes`,
    });
    await this.putSealed(record.objectName, input.bytes, dataKey, progress);
    const done = await this.modify(ref, (r) => withoutUploading(r));
    return { status: 'created', version: publicView(done) };
  }

  private async finishExisting(
    r: RegistryVersion,
    bytes: Uint8Array,
    what: string,
    digest: string,
    progress?: Progress,
  ): Promise<PushResult> {
    if (r.digest !== digest) throw new VersionConflictError(what, r.digest, digest);
    if (!r.uploading) return { status: 'unchanged', version: publicView(r) };
    const key = await openKey(r.sealedDataKey, this.d.kek, artifactKeyLabel(r.name, r.version));
    await this.putSealed(r.objectName, bytes, key, progress);
    const done = await this.modify(r, (x) => withoutUploading(x));
    return { status: 'unchanged', version: publicView(done) };
  }

  /** Encrypts each chunk as the put pulls it, so encryption overlaps the store's round trips. */
  private putSealed(objectName: string, plain: Uint8Array, dataKey: Uint8Array, progress?: Progress) {
    const pieces = encryptArtifactChunks(plain, dataKey, CHUNK_BYTES);
    return this.d.artifacts.put(objectName, pieces, sealedLength(plain.length), progress);
  }

  async list(
    filter: { name?: string; canView?: (namespace: string) => boolean } = {},
  ): Promise<VersionView[]> {
    const all = await this.d.catalog.list();
    return all
      .filter(
        (r) =>
          (filter.name === undefined || r.name === filter.name) && (filter.canView?.(r.namespace) ?? true),
      )
      .map(publicView);
  }

  async describe(ref: RegistryRef) {
    const { record, revision } = await this.entry(ref);
    const placement = await this.d.catalog.placement(ref);
    const name = `model:${ref.name}:${ref.version}`;
    const history = this.d.audit
      ? (await this.d.audit.read()).map((e) => e.record).filter((r) => r.name === name)
      : [];
    return { ...publicView(record), revision, ...(placement ? { placement } : {}), history };
  }

  async promotionPolicy(namespace: string): Promise<PromotionPolicy> {
    const doc = await this.d.catalog.promotionPolicy(namespace);
    return doc === undefined ? NO_POLICY : parsePolicy(doc, `promotion policy of ${namespace}`);
  }

  async setPromotionPolicy(namespace: string, doc: unknown, actor: Actor): Promise<PromotionPolicy> {
    const policy = parsePolicy(doc, `promotion policy of ${checkName(namespace, 'namespace')}`);
    await this.d.catalog.setPromotionPolicy(namespace, policyDocument(policy));
    await this.d.audit?.append({
      action: 'model-policy',
      who: actor.id,
      at: this.now().toISOString(),
      from: actor.from ?? 'local',
      namespace,
      name: 'promotion-policy',
      phase: 'committed',
      diff: JSON.stringify(policyDocument(policy)),
    });
    return policy;
  }

  /** Read, change, compare-and-set; retried when another writer changed the record meanwhile. */
  private async modify(
    ref: RegistryRef,
    change: (r: RegistryVersion) => Promise<RegistryVersion> | RegistryVersion,
  ): Promise<RegistryVersion> {
    for (let i = 0; i < CAS_ATTEMPTS; i++) {
      const { record, revision } = await this.entry(ref);
      const next = await change(record);
      if (await this.d.catalog.update(next, revision)) return next;
    }
    throw new PolicyConflictError(
      `${refText(ref)}: changed by others ${CAS_ATTEMPTS} times in a row; try again`,
    );
  }

  async stage(ref: RegistryRef, to: Stage, actor: Actor, reason?: string): Promise<VersionView> {
    try {
      const view = await this.stageOnce(ref, to, actor, reason);
      this.d.metrics?.stage(to, 'applied');
      return view;
    } catch (err) {
      this.d.metrics?.stage(to, err instanceof PromotionRefusedError ? 'refused' : 'failed');
      throw err;
    }
  }

  private async stageOnce(ref: RegistryRef, to: Stage, actor: Actor, reason?: string): Promise<VersionView> {
    const next = await this.modify(ref, async (r) => {
      const failures = promotionFailures(await this.promotionPolicy(r.namespace), r, to);
      if (failures.length) {
        await this.audit('model-stage', actor, r, {
          error: `SY_PROMOTION_REFUSED: ${r.stage} -> ${to}: ${failures.join('; ')}`,
          ...(reason ? { reason } : {}),
        });
        throw new PromotionRefusedError(refText(ref), to, failures);
      }
      const at = this.now().toISOString();
      return {
        ...r,
        stage: to,
        stageHistory: [
          ...r.stageHistory,
          { from: r.stage, to, by: actor.id, at, ...(reason ? { reason } : {}) },
        ],
      };
    });
    await this.audit('model-stage', actor, next, {
      diff: `stage ${next.stageHistory.at(-1)!.from} -> ${to}`,
      ...(reason ? { reason } : {}),
    });
    return publicView(next);
  }

  async approve(ref: RegistryRef, stage: Stage, actor: Actor, reason?: string): Promise<VersionView> {
    const next = await this.modify(ref, (r) => {
      if (r.pushedBy === actor.id)
        throw new ForbiddenError(
          `${actor.id} pushed ${refText(ref)} and may not approve it; another admin must`,
        );
      const at = this.now().toISOString();
      return {
        ...r,
        approvals: [...r.approvals, { by: actor.id, stage, at, ...(reason ? { reason } : {}) }],
      };
    });
    await this.audit('model-approve', actor, next, {
      diff: `approve for ${stage}`,
      ...(reason ? { reason } : {}),
    });
    return publicView(next);
  }

  /** The rollout controller records a completed canary: a fact promotion rules can require. */
  async recordCanaryCompleted(ref: RegistryRef, actor: Actor): Promise<VersionView> {
    const next = await this.modify(ref, (r) => ({
      ...r,
      canaryCompleted: { at: this.now().toISOString(), by: actor.id },
    }));
    await this.audit('model-canary', actor, next, { diff: 'canary completed' });
    return publicView(next);
  }

  async delete(ref: RegistryRef, actor: Actor, reason?: string): Promise<void> {
    const { record } = await this.entry(ref);
    if (record.stage === 'production')
      throw new PolicyConflictError(
        `${refText(ref)} is in production: move it to archived before deleting it`,
      );
    await this.d.catalog.delete(ref);
    await this.d.artifacts.delete(record.objectName);
    await this.audit('model-delete', actor, record, {
      diff: `- ${refText(ref)} ${record.digest}`,
      ...(reason ? { reason } : {}),
    });
  }

  /**
   * The sealed artifact and its record, for a pod in `region`. A version with regions is handed
   * out only inside them: the storage-side half of residency (pods check again before loading).
   */
  async artifactFor(ref: RegistryRef, region: string | undefined) {
    const { record } = await this.entry(ref);
    if (record.regions.length && (region === undefined || !record.regions.includes(region)))
      throw new ResidencyRefusedError(refText(ref), region, record.regions);
    if (record.uploading)
      throw new NotFoundError(
        `the artifact of ${refText(ref)} is still being uploaded; try again when the push completes`,
      );
    const sealed = await this.d.artifacts.get(record.objectName);
    if (!sealed) throw new NotFoundError(`the artifact of ${refText(ref)} (${record.objectName}) is missing`);
    return { record, sealed };
  }
}

function withoutUploading(r: RegistryVersion): RegistryVersion {
  const { uploading: _, ...rest } = r;
  return rest;
}
