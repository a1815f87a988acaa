// The registry behind the admin APIs (HTTP and gRPC): each call authenticated by the caller's
// context, authorized in the namespace the version belongs to (docs/REGISTRY.md, "Access"), then
// handed to ModelRegistry, which audits every change.
import { NotFoundError, OptionError } from '../../kernel/errors/index.js';
import { authorize, canView } from '../auth/rbac.js';
import type { Progress } from '../registry/artifact-store.js';
import { checkName, type RegistryRef } from '../registry/names.js';
import { type Stage, TARGET_STAGES } from '../registry/record.js';
import type { Actor, ModelRegistry, PushInput } from '../registry/registry.js';
import type { CallContext } from './policy-service.js';

const actor = (c: CallContext): Actor => ({ id: c.principal.id, from: c.from, via: c.via });

export function stageParam(v: unknown, where: string): Stage {
  if (typeof v === 'string' && (TARGET_STAGES as readonly string[]).includes(v)) return v as Stage;
  throw new OptionError(`${where}: ${JSON.stringify(v)} is not a stage (${TARGET_STAGES.join(', ')})`);
}

/** Told of every stage change that went through (the rollouts' registry trigger listens). */
export type StageListener = (ref: RegistryRef, stage: Stage) => Promise<void>;

export class ModelService {
  private readonly stageListeners: StageListener[] = [];

  constructor(readonly registry: ModelRegistry) {}

  onStaged(listener: StageListener): void {
    this.stageListeners.push(listener);
  }

  /** Authorizes `op` in the namespace of an existing version; unknown versions are 404. */
  private async inNamespaceOf(
    c: CallContext,
    ref: RegistryRef,
    op: Parameters<typeof authorize>[1],
  ): Promise<void> {
    const ns = await this.registry.namespaceOf(ref);
    if (ns === undefined)
      throw new NotFoundError(`model version ${ref.name}:${ref.version} is not in the registry`);
    authorize(c.principal, op, ns);
  }

  /** With `namespace`: that namespace only, and a caller without a role there is refused. */
  list(c: CallContext, filter: { name?: string; namespace?: string } = {}) {
    const { name, namespace } = filter;
    if (name !== undefined) checkName(name);
    if (namespace !== undefined) {
      authorize(c.principal, 'model-list', checkName(namespace, 'namespace'));
      return this.registry.list({ ...(name ? { name } : {}), canView: (ns) => ns === namespace });
    }
    // A caller bound to no namespace at all is told so (401/403), not shown an empty list.
    if (!c.principal.bindings.length) authorize(c.principal, 'model-list', 'default');
    return this.registry.list({ ...(name ? { name } : {}), canView: (ns) => canView(c.principal, ns) });
  }

  async describe(c: CallContext, ref: RegistryRef) {
    await this.inNamespaceOf(c, ref, 'model-get');
    return this.registry.describe(ref);
  }

  async push(c: CallContext, input: PushInput, progress?: Progress) {
    authorize(c.principal, 'model-push', input.namespace ?? 'default');
    return this.registry.push(input, actor(c), progress);
  }

  async stage(c: CallContext, ref: RegistryRef, stage: Stage, reason?: string) {
    await this.inNamespaceOf(c, ref, 'model-stage');
    const view = await this.registry.stage(ref, stage, actor(c), reason);
    // The change is done and audited; a listener's trouble is its own (it logs), not the caller's.
    for (const l of this.stageListeners) await l(ref, stage).catch(() => undefined);
    return view;
  }

  /** The rollout controller's record of a completed canary (a fact promotion rules read). */
  async recordCanaryCompleted(c: CallContext, ref: RegistryRef) {
    await this.inNamespaceOf(c, ref, 'model-stage');
    return this.registry.recordCanaryCompleted(ref, actor(c));
  }

  async approve(c: CallContext, ref: RegistryRef, stage: Stage, reason?: string) {
    await this.inNamespaceOf(c, ref, 'model-approve');
    return this.registry.approve(ref, stage, actor(c), reason);
  }

  async delete(c: CallContext, ref: RegistryRef, reason?: string) {
    await this.inNamespaceOf(c, ref, 'model-delete');
    await this.registry.delete(ref, actor(c), reason);
  }

  async artifact(c: CallContext, ref: RegistryRef, region: string | undefined) {
    await this.inNamespaceOf(c, ref, 'model-artifact');
    return this.registry.artifactFor(ref, region);
  }

  async promotionPolicy(c: CallContext, namespace: string) {
    authorize(c.principal, 'model-get', namespace);
    return this.registry.promotionPolicy(namespace);
  }

  async setPromotionPolicy(c: CallContext, namespace: string, doc: unknown) {
    authorize(c.principal, 'promotion-policy', namespace);
    return this.registry.setPromotionPolicy(namespace, doc, actor(c));
  }
}
