// A NACK's error_detail is text chosen by whoever holds the stream. It reaches the status API, the
// logs and (through auto-rollback) the audit trail, so it is made printable and bounded first:
// no control or bidi-override characters that could forge lines or reorder what an operator reads.
export const MAX_NACK_TEXT = 512;

export function sanitizeNackText(text: string, max = MAX_NACK_TEXT): string {
  const clean = text.replace(/[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').trim();
  const chars = [...clean];
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('')}…`;
}
