// One audit record is one NATS message, so it must fit the server's max_payload; a record that
// cannot be appended would leave a change unaudited. Pure: the oversized parts of an event are
// replaced by what still proves them (a diff by its SHA-256 and size, a reason cut short).
import { createHash } from 'node:crypto';
import { StoreError } from '../../kernel/errors/index.js';
import type { AuditEvent } from './audit-chain.js';

/** Diffs above this are kept as digest and size even when the server would take more. */
export const MAX_AUDIT_DIFF_BYTES = 64 * 1024;
export const MAX_AUDIT_REASON = 1024;
/** Room for the chain fields (index, prev, hash), headers and JSON escaping growth. */
const ENVELOPE_BYTES = 2048;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

export function boundEvent(event: AuditEvent, maxPayload: number): AuditEvent {
  const budget = maxPayload - ENVELOPE_BYTES;
  let e = event;
  if (e.diff !== undefined && (bytes(e.diff) > MAX_AUDIT_DIFF_BYTES || bytes(JSON.stringify(e)) > budget)) {
    const { diff, ...rest } = e;
    e = { ...rest, diffSha256: createHash('sha256').update(diff).digest('hex'), diffBytes: bytes(diff) };
  }
  if (e.reason !== undefined && [...e.reason].length > MAX_AUDIT_REASON)
    e = { ...e, reason: `${[...e.reason].slice(0, MAX_AUDIT_REASON - 1).join('')}…` };
  if (bytes(JSON.stringify(e)) > budget)
    throw new StoreError(
      `audit record for ${e.namespace}/${e.name} is ${bytes(JSON.stringify(e))} bytes, over the ${budget} the NATS server accepts`,
    );
  return e;
}
