// Suggestions for misspelled keys and names: offered only for a plausible typo.
import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from './did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['abc', 'abc', 0],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['ab', 'ba', 2],
    ['versions', 'verisons', 2],
    ['a', 'b', 1],
  ])('from %j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closest', () => {
  it('picks the nearest candidate, the first of equals, ignoring case', () => {
    expect(closest('timeot', ['timeout', 'retries'])).toBe('timeout');
    expect(closest('abcd', ['abcx', 'abcy'])).toBe('abcx');
    expect(closest('STRIKT', ['STRICT', 'PERMISSIVE'])).toBe('STRICT');
    expect(closest('strikt', ['STRICT'])).toBe('STRICT');
    expect(closest('strict', ['STRICTER', 'STRICT'])).toBe('STRICT');
  });

  it('allows a third of the word in edits, at least one, and fewer than half', () => {
    // 6 letters: 2 edits allowed.
    expect(closest('abcdef', ['abcdxy'])).toBe('abcdxy');
    expect(closest('abcdef', ['abcxyz'])).toBeUndefined();
    // 9 letters: a third (3) is the tighter bound, below half (4.5).
    expect(closest('abcdefghi', ['abcdefxyz'])).toBe('abcdefxyz');
    expect(closest('abcdefghi', ['abcdewxyz'])).toBeUndefined();
    // 3 letters: 1 edit allowed (a third, rounded down), and 1 < 1.5.
    expect(closest('abc', ['abd'])).toBe('abd');
    expect(closest('abc', ['axy'])).toBeUndefined();
    // 2 letters: 1 edit would be half the word, so "v9" suggests no "v1".
    expect(closest('v9', ['v1'])).toBeUndefined();
    // 1 letter: one edit is the whole word.
    expect(closest('a', ['b'])).toBeUndefined();
    expect(closest('a', ['a'])).toBe('a');
  });

  it('finds nothing among no candidates', () => {
    expect(closest('anything', [])).toBeUndefined();
  });
});

describe('didYouMean', () => {
  it('quotes the suggestion, or says nothing', () => {
    expect(didYouMean('verisons', ['versions', 'model'])).toBe(' (did you mean "versions"?)');
    expect(didYouMean('zzz', ['versions'])).toBe('');
  });
});
