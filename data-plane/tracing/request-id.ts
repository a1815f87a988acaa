// The request id of one inference request: the caller's `x-request-id` (Envoy sets one at the
// gateway) or, when absent, one made here. It goes into log lines and span attributes, so a
// client-supplied value is made harmless first: only printable ASCII other than `%` passes as
// is, everything else (control characters, newlines, non-ASCII) is percent-encoded, and the
// result is cut to a bounded length. See docs/ACCESS.md, "Tracing".
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
/** Longer ids are cut (Envoy's own are 36 characters: a UUID). */
export const MAX_REQUEST_ID_LENGTH = 128;

// Printable ASCII except `%` (kept for the escapes themselves) and `"` and `\` (which JSON
// would escape anyway, making the logged value differ from the span's).
const SAFE = /^[\x21\x23\x24\x26-\x5b\x5d-\x7e]+$/;

function percentEncode(raw: string): string {
  let out = '';
  for (const ch of raw) {
    if (out.length >= MAX_REQUEST_ID_LENGTH) break;
    out += SAFE.test(ch)
      ? ch
      : Array.from(Buffer.from(ch, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(
          '',
        );
  }
  return out.slice(0, MAX_REQUEST_ID_LENGTH);
}

/** The caller's id made safe to log, or a fresh UUID when there is none (or only an empty one). */
export function requestIdOf(raw: unknown): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : '';
  if (text === '') return randomUUID();
  if (text.length <= MAX_REQUEST_ID_LENGTH && SAFE.test(text)) return text;
  return percentEncode(text);
}
