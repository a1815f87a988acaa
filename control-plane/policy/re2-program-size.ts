// An upper bound on the RE2 "program size" of a pattern, the number Envoy compares with the
// runtime key re2.max_program_size.error_level (default 100) before it accepts a safe_regex
// (source/common/common/regex.cc, CompiledGoogleReMatcher). re2-wasm exposes no program size,
// so this walks the pattern (before RE2 sees it: re2.ts) and charges every construct at least
// what RE2's compiler emits for it: one instruction per ASCII byte, one per empty-width
// assertion, two per capture, one per alternative, two per repetition operator, counted
// repetitions expanded as RE2 expands them, and a flat 16 for anything that matches arbitrary
// Unicode (`.`, negated classes, non-ASCII ranges: RE2 compiles these into UTF-8 byte-range
// trees; `.` costs about 9, so `^.{0,200}$` is 1,802). Unicode property classes (`\pL`) expand
// to hundreds of ranges and are charged as over any limit. Overestimating refuses some patterns
// Envoy would take; underestimating would let one model's policy freeze every model's routes.
// docs/TRANSLATION.md, "Regular expressions", lists refused examples.

const OVERHEAD = 4; // Fail, Match and the unanchored `.*?` prefix
const WIDE = 16;
const ASCII_CLASS_RANGE = 2; // a range and its case fold
const REPEAT = 2;
const HUGE = 1_000_000;

class Walker {
  i = 0;
  constructor(readonly p: string) {}

  peek(): string | undefined {
    return this.p[this.i];
  }

  alternation(): number {
    let total = this.concat();
    while (this.peek() === '|') {
      this.i++;
      total += this.concat() + 1;
    }
    return total;
  }

  concat(): number {
    let total = 0;
    while (this.i < this.p.length && this.peek() !== '|' && this.peek() !== ')') {
      total += this.repeat(this.atom());
    }
    return total;
  }

  repeat(atom: number): number {
    let cost = atom;
    for (;;) {
      const c = this.peek();
      if (c === '*' || c === '+' || c === '?') {
        this.i++;
        cost = cost + REPEAT;
      } else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i));
        if (!m) return cost;
        this.i += m[0].length;
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? min + 1 : Number(m[3]);
        cost = max * (cost + REPEAT) + REPEAT;
      } else {
        return cost;
      }
      if (this.peek() === '?') this.i++; // non-greedy: same instructions
    }
  }

  atom(): number {
    const c = this.p[this.i++]!;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return this.charClass();
      case '\\':
        return this.escape(false);
      case '.':
        return WIDE;
      case '^':
      case '$':
        return 1;
      default:
        return charCost(c.charCodeAt(0), false);
    }
  }

  group(): number {
    let capture = 2;
    if (this.peek() === '?') {
      this.i++;
      if (this.peek() === 'P') {
        this.i = this.p.indexOf('>', this.i) + 1;
      } else {
        while (this.peek() !== ':' && this.peek() !== ')') this.i++;
        if (this.p[this.i++] === ')') return 0; // flags only, e.g. (?i)
        capture = 0;
      }
    }
    const inner = this.alternation();
    this.i++; // ')'
    return inner + capture;
  }

  charClass(): number {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    let cost = 0;
    let first = true;
    while (this.i < this.p.length && (first || this.peek() !== ']')) {
      first = false;
      // RE2 reads `[:` as a POSIX class only when a `:]` follows; else `[` is a plain member
      // (`[[:a]`); jumping to a `:]` that is not there would move the walk back, forever.
      const posixEnd = this.p.startsWith('[:', this.i) ? this.p.indexOf(':]', this.i + 2) : -1;
      if (posixEnd >= 0) {
        this.i = posixEnd + 2;
        cost += 4 * ASCII_CLASS_RANGE;
        continue;
      }
      const lo = this.classChar();
      if (this.peek() === '-' && this.p[this.i + 1] !== ']') {
        this.i++;
        const hi = this.classChar();
        cost += Math.max(lo, hi);
      } else {
        cost += lo;
      }
    }
    this.i++; // ']'
    return negated ? Math.max(cost, WIDE) : cost;
  }

  /** The cost of one class member (a character or an escape) as a range. */
  classChar(): number {
    const c = this.p[this.i++]!;
    if (c === '\\') return this.escape(true);
    return charCost(c.charCodeAt(0), true);
  }

  escape(inClass: boolean): number {
    const c = this.p[this.i++]!;
    switch (c) {
      case 'p':
      case 'P':
        if (this.peek() === '{') this.i = this.p.indexOf('}', this.i) + 1;
        else this.i++;
        return HUGE;
      case 'd':
      case 'w':
      case 's':
        return 4 * ASCII_CLASS_RANGE;
      case 'D':
      case 'W':
      case 'S':
      case 'C':
        return WIDE;
      case 'b':
      case 'B':
      case 'A':
      case 'z':
        return 1;
      case 'x': {
        const m = /^(\{[0-9A-Fa-f]+\}|[0-9A-Fa-f]{2})/.exec(this.p.slice(this.i));
        const hex = m ? m[0].replace(/[{}]/g, '') : '0';
        this.i += m ? m[0].length : 0;
        return charCost(Number.parseInt(hex, 16), inClass);
      }
      case 'Q': {
        const end = this.p.indexOf('\\E', this.i);
        const text = this.p.slice(this.i, end < 0 ? undefined : end);
        this.i = end < 0 ? this.p.length : end + 2;
        return [...text].reduce((n, ch) => n + charCost(ch.charCodeAt(0), false), 0);
      }
      default:
        return c >= '0' && c <= '7' ? this.octal(c, inClass) : charCost(c.charCodeAt(0), inClass);
    }
  }

  /**
   * RE2 reads at most three octal digits (`\0123` is a newline and a `3`), and up to `\777`,
   * past ASCII.
   */
  octal(first: string, inClass: boolean): number {
    let digits = first;
    while (digits.length < 3 && /^[0-7]$/.test(this.peek() ?? '')) digits += this.p[this.i++];
    return charCost(Number.parseInt(digits, 8), inClass);
  }
}

/** One character given by its code: an ASCII byte (a range in a class) or arbitrary Unicode. */
function charCost(code: number, inClass: boolean): number {
  if (code >= 0x80) return WIDE;
  return inClass ? ASCII_CLASS_RANGE : 1;
}

/**
 * At least RE2's program size for `pattern` when RE2 compiles it. Call it only with patterns
 * that compile as JavaScript `u` regular expressions: the walk assumes closed groups and `\p{}`.
 */
export function re2ProgramSizeBound(pattern: string): number {
  const w = new Walker(pattern);
  let total = OVERHEAD + w.alternation();
  // A stray ')' cannot reach here (RE2 refuses it); keep walking defensively anyway.
  while (w.i < pattern.length) {
    w.i++;
    total += w.alternation();
  }
  return total;
}
