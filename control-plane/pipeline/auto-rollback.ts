// `apply --auto-rollback`: when a proxy NACKs the configuration a revision produced, the
// policy's previous revision is restored (and audited as auto-rollback). Each published snapshot
// remembers which policy revisions changed in it and which resources each of those policies owns
// there; a NACK names the rejected version, which leads back to the snapshot and so to the
// revisions to undo. Only policies that opted in roll back, and only a NACK that proves something
// counts: see "Auto-rollback" in docs/OPERATIONS.md for who may trigger it and why.

import { asSwitchyardError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { CallContext, PolicyService } from '../api/policy-service.js';
import type { StoredPolicy } from '../store/policy-record.js';
import { ownedByModel } from '../translate/names.js';
import type { Snapshot } from '../xds/cache/snapshot.js';
import { PUSH_ORDER, RESOURCE_TYPES, type TypeUrl } from '../xds/resource-types.js';
import type { StreamContext, XdsCallbacks } from '../xds/server/stream-context.js';
import { sanitizeNackText } from '../xds/status/nack-text.js';

interface Change {
  readonly namespace: string;
  readonly name: string;
  readonly model: string;
  readonly revision: number;
  readonly previousRevision: number;
}

interface Published {
  readonly group: string;
  /** `${typeUrl} ${version}` of every type that this snapshot changed. */
  readonly versions: ReadonlySet<string>;
  /** Each change with the `${typeUrl} ${name}` of the resources its policy owns in the snapshot. */
  readonly changes: ReadonlyArray<{ change: Change; resources: ReadonlySet<string> }>;
}

const KEEP = 32;
const SYSTEM: CallContext = {
  principal: { id: 'system:auto-rollback', kind: 'system', bindings: [{ role: 'admin', namespaces: ['*'] }] },
  from: 'local',
  via: 'system',
};

function resourcesOf(snap: Snapshot, model: string): Set<string> {
  const out = new Set<string>();
  for (const t of PUSH_ORDER)
    for (const name of snap.type(t).resources.keys()) if (ownedByModel(name, model)) out.add(`${t} ${name}`);
  return out;
}

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
          model: p.route.spec.model,
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
      this.published.push({
        group,
        versions,
        changes: changes.map((change) => ({ change, resources: resourcesOf(snap, change.model) })),
      });
    }
    this.published = this.published.slice(-KEEP);
  }

  onNack(
    ctx: StreamContext,
    type: TypeUrl,
    rejectedVersion: string,
    message: string,
    rejected: readonly string[],
  ): void {
    // Anyone can open a plaintext stream and send a NACK; only a certificate our CA issued proves
    // that a real proxy is speaking.
    if (!ctx.identity) return;
    // Make-before-break versions carry a "+..." suffix on the snapshot's version.
    const version = rejectedVersion.split('+')[0];
    // Identity groups (`envoy|<identity>`) share their flavor group's snapshots.
    const hit = this.published.findLast(
      (p) => (p.group === ctx.group || p.group === ctx.flavor) && p.versions.has(`${type} ${version}`),
    );
    if (!hit) return;
    for (const { change: c, resources } of hit.changes) {
      // The proxy must have been sent, and so subscribed to, a resource of this policy.
      if (!rejected.some((n) => resources.has(`${type} ${n}`))) continue;
      const key = `${c.namespace}/${c.name}@${c.revision}`;
      if (this.done.has(key)) continue;
      this.done.add(key);
      const reason = `proxy ${ctx.identity} rejected ${RESOURCE_TYPES[type].short} ${sanitizeNackText(rejectedVersion, 64)}: ${sanitizeNackText(message, 256)}`;
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
