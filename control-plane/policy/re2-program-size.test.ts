// The charges re2-program-size.ts makes per construct, as its header states them: one per ASCII
// byte or empty-width assertion, two per capture, one per alternative, two per repetition
// operator, counted repetitions expanded, 2 per ASCII class range, a flat 16 for anything that
// matches arbitrary Unicode, and "over any limit" for Unicode property classes; plus 4 for every
// program (Fail, Match and the unanchored prefix). Each row is a pattern RE2 compiles.
import { describe, expect, it } from 'vitest';
import { re2Problem } from './re2.js';
import { re2ProgramSizeBound } from './re2-program-size.js';

const ROWS: [pattern: string, bound: number, why: string][] = [
  ['', 4, 'the program itself'],
  ['a', 5, 'an ASCII character'],
  ['é', 20, 'a non-ASCII character'],
  ['.', 20, 'any character'],
  ['^$', 6, 'two empty-width assertions'],
  ['\\b\\B\\A\\z', 8, 'four empty-width assertions'],
  ['a*', 7, 'a repetition operator'],
  ['a+', 7, 'a repetition operator'],
  ['a?', 7, 'a repetition operator'],
  ['a*?', 7, 'non-greedy: the same instructions'],
  ['a{2}', 12, 'counted: 2 x (1 + 2) + 2'],
  ['a{2}?', 12, 'counted, non-greedy'],
  ['a{2,}', 15, 'at least 2: 3 x (1 + 2) + 2'],
  ['a{2,3}', 15, 'from 2 to 3: 3 x (1 + 2) + 2'],
  ['a{0,5}', 21, 'up to 5: 5 x (1 + 2) + 2'],
  ['(?:a*){2}', 16, 'a count over a repetition: 2 x (3 + 2) + 2'],
  ['a{,3}', 9, 'no lower bound: RE2 reads the braces as literal characters'],
  ['a{,3}b{2}', 17, 'literal braces, then a count of b alone'],
  ['a{10}', 36, 'a two-digit count: 10 x (1 + 2) + 2'],
  ['(?:a(?i)b){2}', 14, 'flags inside a group: the count covers the whole group, 2 x (2 + 2) + 2'],
  ['(a)', 7, 'a capture'],
  ['(a)(b)', 10, 'two captures'],
  ['(?:a)', 5, 'a group that captures nothing'],
  ['(?P<name>ab)', 8, 'a named capture'],
  ['(?i)abc', 7, 'flags alone cost nothing'],
  ['(?i:ab)', 6, 'a flag group captures nothing'],
  ['a|b', 7, 'one alternative'],
  ['a|b|c', 9, 'two alternatives'],
  ['(a|b)*', 11, 'a repeated capture of alternatives'],
  ['[a]', 6, 'an ASCII class member'],
  ['[ab]', 8, 'two ASCII class members'],
  ['[a-z]', 6, 'an ASCII class range'],
  ['[a-é]', 20, 'a range reaching past ASCII'],
  ['[]a]', 8, 'a leading ] is a member'],
  ['[a-]', 8, 'a trailing - is a member'],
  ['[^a]', 20, 'a negated class matches arbitrary Unicode'],
  ['[^[:alpha:]\\d]', 20, 'a negated class, however wide inside'],
  ['[[:alpha:]]', 12, 'a POSIX class: 4 ranges'],
  ['[[:alpha:]x]', 14, 'a POSIX class and a member'],
  ['[é]', 20, 'a non-ASCII member'],
  ['\\d', 12, 'a Perl class: 4 ranges'],
  ['\\w', 12, 'a Perl class'],
  ['\\s', 12, 'a Perl class'],
  ['[\\d]', 12, 'a Perl class inside a class'],
  ['\\D', 20, 'a negated Perl class'],
  ['\\W', 20, 'a negated Perl class'],
  ['\\S', 20, 'a negated Perl class'],
  ['\\C', 20, 'any byte'],
  ['\\.', 5, 'an escaped ASCII character'],
  ['[\\.]', 6, 'an escaped class member'],
  ['\\x41', 5, 'a two-digit ASCII hex escape'],
  ['\\x{41}', 5, 'a braced ASCII hex escape'],
  ['\\xff', 20, 'a hex escape past ASCII'],
  ['\\x{263a}', 20, 'a braced hex escape past ASCII'],
  ['[\\x41]', 6, 'an ASCII hex escape as a class member'],
  ['[\\x{263a}]', 20, 'a hex escape past ASCII as a class member'],
  ['\\101', 5, 'an octal escape is one character'],
  ['[\\101]', 6, 'an octal escape as a class member'],
  ['\\0', 5, 'a one-digit octal escape'],
  ['\\01', 5, 'a two-digit octal escape'],
  ['\\0123', 6, 'an octal escape stops at three digits: a newline, then 3'],
  ['\\1234', 6, 'three octal digits, then 4'],
  ['[\\0123]', 8, 'three octal digits, then 3, as class members'],
  ['\\177', 5, 'the last octal escape in ASCII'],
  ['\\200', 20, 'the first octal escape past ASCII'],
  ['\\777', 20, 'the largest octal escape'],
  ['[\\377]', 20, 'an octal escape past ASCII as a class member'],
  ['\\.1', 6, 'an escaped character, then a digit'],
  ['\\n7', 6, 'an escaped letter, then a digit'],
  ['\\x7f', 5, 'the last hex escape in ASCII'],
  ['\\x80', 20, 'the first hex escape past ASCII'],
  ['[\\x80]', 20, 'the first hex escape past ASCII as a class member'],
  ['\u007f', 5, 'the last ASCII character'],
  ['\u0080', 20, 'the first character past ASCII'],
  ['[\u0080]', 20, 'the first character past ASCII as a class member'],
  ['\\Q\u0080\\E', 20, 'the first quoted character past ASCII'],
  ['\\Qab\\E', 6, 'quoted ASCII characters'],
  ['\\Qa.é\\E', 22, 'quoted characters, one past ASCII'],
  ['\\Qab', 6, 'quoted to the end'],
  ['\\Qa\\Eb', 6, 'quoted, then plain'],
];

describe('re2ProgramSizeBound', () => {
  it.each(ROWS)('charges %j %i (%s)', (pattern, bound) => {
    expect(re2Problem(pattern) === undefined || bound > 100).toBe(true);
    expect(re2ProgramSizeBound(pattern)).toBe(bound);
  });

  it.each(['\\pL', '\\PL', '\\p{Greek}', '[\\pL]', '\\pLa'])(
    'charges the Unicode property class in %j as over any limit, and reads past it',
    (pattern) => {
      expect(re2ProgramSizeBound(pattern)).toBe(1_000_004 + (pattern.endsWith('a') ? 1 : 0));
    },
  );

  it('keeps counting past a stray ) although RE2 refuses one', () => {
    expect(re2ProgramSizeBound(')a')).toBe(5);
    expect(re2ProgramSizeBound('a)bc')).toBe(7);
  });
});
