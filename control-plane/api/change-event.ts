// The audit event of one policy change: who made it, from where, through which API, why, and
// the diff of the effective policy (rendered off the event loop, policy-diff.ts).
import type { AuditAction } from '../audit/audit-chain.js';
import type { ModelRoute } from '../policy/index.js';
import type { ChangeEvent } from './audited-changes.js';
import { policyDiff } from './policy-diff.js';

/** Who changed a policy, and from where: what the audit trail records of the caller. */
export interface ChangeCaller {
  readonly principal: { readonly id: string };
  readonly from: string;
  readonly via: ChangeEvent['via'];
}

/** The audit event of a change based on revision `base` (0: none). */
export async function changeEvent(
  ctx: ChangeCaller,
  action: AuditAction,
  namespace: string,
  name: string,
  before: ModelRoute | undefined,
  after: ModelRoute | undefined,
  base: number,
  reason: string | undefined,
  restoredFrom?: number,
): Promise<ChangeEvent> {
  const at = new Date().toISOString();
  const { diff } = await policyDiff({
    before,
    after,
    oldName: `${namespace}/${name}`,
    newName: `${namespace}/${name}`,
    audit: true,
  });
  return {
    action,
    who: ctx.principal.id,
    at,
    from: ctx.from,
    via: ctx.via,
    namespace,
    name,
    ...(base ? { previousRevision: base } : {}),
    ...(restoredFrom !== undefined ? { restoredFrom } : {}),
    ...(reason ? { reason } : {}),
    diff,
  };
}
