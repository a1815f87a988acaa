// Look-around and back-references: the usual way a JavaScript pattern fails in RE2, which has
// neither. Found by a scan that follows the pattern's syntax rather than by a regular expression
// over its text: inside a character class `(?=` and `\1` are not constructs at all (`[(?=]` is a
// class of three characters, which RE2 accepts). docs/TRANSLATION.md, "Regular expressions".

/** A construct RE2 lacks, as written, and its offset (0-based, in UTF-16 code units). */
export interface UnsupportedConstruct {
  readonly kind: 'look-around' | 'back-reference';
  readonly text: string;
  readonly at: number;
}

const LOOK_AROUND = ['(?=', '(?!', '(?<=', '(?<!'] as const;

/**
 * The end (exclusive) of the character class opening at `open`, or the pattern's length when it
 * never closes. A `]` right after `[` or `[^` is a literal, as in RE2 (the pattern has already
 * compiled as JavaScript with the `u` flag, where a class that ends there is empty; RE2 then
 * refuses what follows, so reading it as RE2 does never lets a construct through unrefused).
 */
function classEnd(p: string, open: number): number {
  let i = open + 1;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++;
  while (i < p.length) {
    if (p[i] === '\\') i += 2;
    else if (p[i] === ']') return i + 1;
    else i++;
  }
  return p.length;
}

/** The first look-around or back-reference outside character classes, if any. */
export function unsupportedConstruct(pattern: string): UnsupportedConstruct | undefined {
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '[') {
      i = classEnd(pattern, i);
      continue;
    }
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (next >= '1' && next <= '9') {
        const digits = /^\d+/.exec(pattern.slice(i + 1))![0];
        return { kind: 'back-reference', text: `\\${digits}`, at: i };
      }
      if (next === 'k' && pattern[i + 2] === '<') {
        const end = pattern.indexOf('>', i);
        return { kind: 'back-reference', text: pattern.slice(i, end < 0 ? i + 3 : end + 1), at: i };
      }
      // Any escaped character, a backslash included, is one unit: `\\1` is a backslash and a 1.
      i += 2;
      continue;
    }
    if (c === '(') {
      const found = LOOK_AROUND.find((l) => pattern.startsWith(l, i));
      if (found) return { kind: 'look-around', text: found, at: i };
    }
    i++;
  }
  return undefined;
}

/** The refusal message for a construct RE2 lacks. */
export function unsupportedMessage(u: UnsupportedConstruct): string {
  const what = u.kind === 'look-around' ? 'look-around' : 'a back-reference';
  return `uses ${what} '${u.text}' at offset ${u.at}, which RE2 (Envoy, gRPC) does not support`;
}
