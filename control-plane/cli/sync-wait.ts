// The CLI side of "has my change reached the proxies?": polls the policy's sync state
// (GET .../policies/:name/sync) until every connected proxy that uses it has ACKed the revision,
// printing progress whenever it changes. A NACK or a policy that is not served ends the wait at
// once (SY_SYNC_REJECTED, with the NACK text); the timeout ends it with the proxies still behind
// (SY_SYNC_TIMEOUT). docs/OPERATIONS.md, "Waiting for the proxies".
import { SyncRejectedError, SyncTimeoutError } from '../../kernel/errors/index.js';
import type { PolicySync } from '../api/sync-routes.js';
import { adminRequest } from './admin-client.js';
import type { Connection } from './connection.js';

export interface WaitTarget {
  readonly namespace: string;
  readonly name: string;
  /** Default: the live revision. */
  readonly revision?: number;
}

/** How often the state is read: short enough for a 1,000-proxy rollout to end within 2 s. */
const POLL_MS = 100;
const SHOWN_STRAGGLERS = 10;

function id(s: PolicySync): string {
  return `modelroute ${s.namespace}/${s.name} revision ${s.requested}`;
}

/** One progress line; printed only when it changes. */
export function progressLine(s: PolicySync): string {
  if (s.state === 'publishing')
    return `${id(s)}: not published yet${s.published !== undefined ? ` (proxies are sent revision ${s.published})` : ''}`;
  const acked = s.proxies.filter((p) => p.state === 'acked').length;
  return `${id(s)}: ${acked}/${s.proxies.length} proxies ACKed`;
}

export function rejectionText(s: PolicySync): string {
  if (s.problem) return `${id(s)} is not served: ${s.problem.message} [${s.problem.code}]`;
  const lines = s.proxies
    .filter((p) => p.state === 'nacked')
    .map(
      (p) =>
        `  ${p.nodeId || '(no node id)'} rejected ${p.nack!.type} ${p.nack!.version}: ${p.nack!.message}`,
    );
  return `${id(s)}: ${lines.length} proxy(ies) NACKed it and keep their last good configuration:\n${lines.join('\n')}`;
}

export function stragglerText(s: PolicySync | undefined, target: WaitTarget, timeoutMs: number): string {
  const after = `after ${timeoutMs / 1000}s`;
  if (!s) return `modelroute ${target.namespace}/${target.name}: no answer from the admin API ${after}`;
  if (s.state === 'publishing')
    return `${id(s)} is still not published ${after}${s.published !== undefined ? ` (proxies are sent revision ${s.published}); see switchyard status` : ''}`;
  const behind = s.proxies.filter((p) => p.state !== 'acked');
  const lines = behind
    .slice(0, SHOWN_STRAGGLERS)
    .map(
      (p) =>
        `  ${p.nodeId || '(no node id)'} (${p.acked}/${p.resources} ACKed; waiting for ${p.waitingFor?.join(', ') ?? '?'})`,
    );
  const more = behind.length > SHOWN_STRAGGLERS ? `\n  ... and ${behind.length - SHOWN_STRAGGLERS} more` : '';
  return `${id(s)}: ${behind.length} of ${s.proxies.length} proxies have not ACKed ${after}:\n${lines.join('\n')}${more}`;
}

/** Resolves with the final state once every proxy ACKed; throws on a NACK or at the timeout. */
export async function waitForAcks(
  conn: Connection,
  target: WaitTarget,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<PolicySync> {
  const deadline = Date.now() + timeoutMs;
  const path = `api/v1/namespaces/${encodeURIComponent(target.namespace)}/policies/${encodeURIComponent(target.name)}/sync${target.revision !== undefined ? `?revision=${target.revision}` : ''}`;
  let last: PolicySync | undefined;
  let shown = '';
  for (;;) {
    last = await adminRequest<PolicySync>(conn, 'GET', path);
    if (last.state === 'acked') return last;
    if (last.state === 'failed') throw new SyncRejectedError(rejectionText(last));
    const line = progressLine(last);
    if (line !== shown) progress(line);
    shown = line;
    if (Date.now() >= deadline) throw new SyncTimeoutError(stragglerText(last, target, timeoutMs));
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

/** The line a finished wait prints. */
export function ackedLine(s: PolicySync, ms: number): string {
  const later = s.revision !== s.requested ? ` (live revision ${s.revision})` : '';
  const n = s.proxies.length;
  const who = n === 0 ? 'no connected proxy uses it' : `ACKed by ${n} ${n === 1 ? 'proxy' : 'proxies'}`;
  return `${id(s)}${later}: ${who} (${(ms / 1000).toFixed(1)}s)`;
}
