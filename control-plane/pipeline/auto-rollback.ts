// `apply --auto-rollback`: when a proxy NACKs the configuration a revision produced, the
// policy's previous revision is restored (and audited as auto-rollback). Each published snapshot
// remembers which policy revisions changed in it; a NACK names the rejected version, which leads
// back to the snapshot and so to the revisions to undo. Only policies that opted in roll back.
import type { CallContext, PolicyService } from '../api/policy-service.js';
import { asSwitchyardError } from '../errors/index.js';
import type { Logger } from '../runtime/log.js';
import type { StoredPolicy } from '../store/policy-record.js';
import type { Snapshot } from '../xds/cache/snapshot.js';
import { PUSH_ORDER, RESOURCE_TYPES, type TypeUrl } from '../xds/resource-types.js';
import type { StreamContext, XdsCallbacks } from '../xds/server/stream-context.js';

interface Change {
  readonly namespace: string;
  readonly name: string;
  readonly revision: number;
  readonly previousRevision: number;
}

interface Published {
  readonly group: string;
  /** `${typeUrl} ${version}` of every type that this snapshot changed. */
  readonly versions: ReadonlySet<string>;
  readonly changes: readonly Change[];
}

const KEEP = 32;
const SYSTEM: CallContext = {
  principal: { id: 'system:auto-rollback', kind: 'system', bindings: [{ role: 'admin', namespaces: ['*'] }] },
  from: 'local',
  via: 'system',
};

export class AutoRollback implements XdsCallbacks {
  private revisions = new Map<string, number>();
  private published: Published[] = [];
  private done = new Set<string>();

  constructor(
    private readonly service: () => PolicyService,
    private readonly log: Logger,
  ) {}

  /** After a rebuild: note which opted-in policies changed in the snapshots just published. */
  recordPublish(
    stored: readonly StoredPolicy[],
    snapshots: ReadonlyMap<string, Snapshot | undefined>,
    previous: ReadonlyMap<string, Snapshot | undefined>,
  ): void {
    const changes: Change[] = [];
    const next = new Map<string, number>();
    for (const p of stored) {
      const key = `${p.namespace}/${p.name}`;
      next.set(key, p.revision);
      const before = this.revisions.get(key);
      if (p.record.autoRollback && before !== undefined && before !== p.revision)
        changes.push({
          namespace: p.namespace,
          name: p.name,
          revision: p.revision,
          previousRevision: before,
        });
    }
    this.revisions = next;
    if (changes.length === 0) return;
    for (const [group, snap] of snapshots) {
      if (!snap) continue;
      const old = previous.get(group);
      const versions = new Set<string>();
      for (const t of PUSH_ORDER)
        if (snap.type(t).version !== old?.type(t).version) versions.add(`${t} ${snap.type(t).version}`);
      this.published.push({ group, versions, changes });
    }
    this.published = this.published.slice(-KEEP);
  }

  onNack(ctx: StreamContext, type: TypeUrl, rejectedVersion: string, message: string): void {
    // Make-before-break versions carry a "+..." suffix on the snapshot's version.
    const version = rejectedVersion.split('+')[0];
    const hit = this.published.findLast((p) => p.group === ctx.group && p.versions.has(`${type} ${version}`));
    if (!hit) return;
    for (const c of hit.changes) {
      const key = `${c.namespace}/${c.name}@${c.revision}`;
      if (this.done.has(key)) continue;
      this.done.add(key);
      const reason = `proxy ${ctx.node?.id ?? '?'} rejected ${RESOURCE_TYPES[type].short} ${rejectedVersion}: ${message}`;
      this.service()
        .rollback(SYSTEM, c.namespace, c.name, c.previousRevision, {
          reason,
          expectedRevision: c.revision,
          action: 'auto-rollback',
        })
        .then(
          (r) =>
            this.log.warn('auto-rollback', {
              policy: `${c.namespace}/${c.name}`,
              from: c.revision,
              to: c.previousRevision,
              now: r.revision,
              reason,
            }),
          // A conflict means someone (or another replica) changed it first: nothing to undo here.
          (err) =>
            this.log.warn('auto-rollback not applied', {
              policy: key,
              error: asSwitchyardError(err).message,
            }),
        );
    }
  }
}
