// Look-around and back-references are refused only where they are constructs: inside a character
// class the same text is plain characters, which RE2 accepts.
import { describe, expect, it } from 'vitest';
import { regexIssues } from '../../test/helpers/policy-yaml.js';
import { re2Problem } from './re2.js';
import { unsupportedConstruct } from './re2-unsupported.js';

const PATH = 'spec.match[0].headers.x-cohort.regex';

describe('look-around and back-references', () => {
  it.each([
    ['[(?=]'],
    ['[(?!]x'],
    ['[(?<=]'],
    ['[(?<!]'],
    ['a[(?=b)]c'],
    ['[^(?=]'],
    // `\]` does not close the class, `\\` is one escaped backslash: the class goes on.
    ['[\\](?=]'],
    ['[\\\\(?=]'],
    ['[a\\](?<!]'],
  ])('accepts %s, whose look-around text is inside a class (RE2 accepts it too)', (r) => {
    expect(re2Problem(r)).toBeUndefined();
    expect(unsupportedConstruct(r)).toBeUndefined();
    expect(regexIssues(r)).toEqual([]);
  });

  it.each([
    ['(?=a)', '(?=', 0],
    ['x(?!a)', '(?!', 1],
    ['ab(?<=a)', '(?<=', 2],
    ['(?<!a)b', '(?<!', 0],
    // The class closes before the construct: an escaped `]` or `\\` inside it does not hide it.
    ['[a](?=b)', '(?=', 3],
    ['[\\]](?=b)', '(?=', 4],
    ['[\\\\](?!b)', '(?!', 4],
    ['[(?=]x(?=b)', '(?=', 6],
    // An escaped `[` opens no class.
    ['\\[(?<=a)', '(?<=', 2],
  ])('refuses %s, naming %s and its offset %d', (r, text, at) => {
    expect(unsupportedConstruct(r)).toEqual({ kind: 'look-around', text, at });
    expect(regexIssues(r)).toEqual([
      `${PATH}: uses look-around '${text}' at offset ${at}, which RE2 (Envoy, gRPC) does not support`,
    ]);
  });

  it('reads a `]` right after `[` or `[^` as a literal, as RE2 does', () => {
    expect(unsupportedConstruct('[](?=a)]')).toBeUndefined();
    expect(unsupportedConstruct('[^](?=a)]')).toBeUndefined();
    expect(unsupportedConstruct('[]](?=a)')).toEqual({ kind: 'look-around', text: '(?=', at: 3 });
    expect(unsupportedConstruct('[^]](?!a)')).toEqual({ kind: 'look-around', text: '(?!', at: 4 });
    // JavaScript reads `[^]` as "any character" and then a look-ahead; RE2 reads one unclosed
    // class. Refused either way: RE2 names the missing bracket.
    expect(regexIssues('[^](?=a)')).toEqual([
      expect.stringMatching(
        /^spec\.match\[0\]\.headers\.x-cohort\.regex: is not a valid RE2 expression .*missing \]/,
      ),
    ]);
  });

  it('names back-references outside classes, and leaves escapes inside classes alone', () => {
    expect(unsupportedConstruct('(a)\\1')).toEqual({ kind: 'back-reference', text: '\\1', at: 3 });
    expect(unsupportedConstruct('(a)\\12')).toEqual({ kind: 'back-reference', text: '\\12', at: 3 });
    expect(unsupportedConstruct('(?<n>a)\\k<n>')).toEqual({ kind: 'back-reference', text: '\\k<n>', at: 7 });
    expect(unsupportedConstruct('\\\\1')).toBeUndefined();
    expect(unsupportedConstruct('[\\\\1]')).toBeUndefined();
    expect(regexIssues('(a)\\1')).toEqual([
      `${PATH}: uses a back-reference '\\1' at offset 3, which RE2 (Envoy, gRPC) does not support`,
    ]);
  });
});
