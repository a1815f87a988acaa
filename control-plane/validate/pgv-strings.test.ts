// The PGV rule compiler on strings: lengths in characters and in UTF-8 bytes, patterns, affixes,
// lists, the well-known formats and header patterns, and ignore_empty.
import { describe, expect, it } from 'vitest';
import { check1, messages } from './testdata/check.js';
import { T } from './testdata/synthetic.js';

const s = (value: Record<string, unknown>, v: string | undefined) =>
  messages(check1(T.STRING, { type: { case: 'string', value } }, v));

describe('string lengths', () => {
  it('counts characters (code points), not UTF-16 units', () => {
    expect([s({ len: 2n }, '🙂🙂'), s({ len: 2n }, 'abc'), s({ len: 2n }, 'a')]).toEqual([
      [],
      ['must be exactly 2 character(s)'],
      ['must be exactly 2 character(s)'],
    ]);
    expect([s({ minLen: 2n }, '🙂'), s({ minLen: 2n }, 'ab')]).toEqual([
      ['must be at least 2 character(s) long'],
      [],
    ]);
    expect([s({ maxLen: 2n }, 'abc'), s({ maxLen: 2n }, '🙂🙂')]).toEqual([
      ['must be at most 2 character(s) long'],
      [],
    ]);
  });
  it('counts UTF-8 bytes for the byte bounds', () => {
    expect([s({ lenBytes: 4n }, '🙂'), s({ lenBytes: 4n }, 'abc'), s({ lenBytes: 4n }, 'abcde')]).toEqual([
      [],
      ['must be exactly 4 byte(s)'],
      ['must be exactly 4 byte(s)'],
    ]);
    expect([s({ minBytes: 2n }, 'é'), s({ minBytes: 3n }, 'é')]).toEqual([
      [],
      ['must be at least 3 byte(s) long'],
    ]);
    expect([s({ maxBytes: 3n }, '🙂'), s({ maxBytes: 4n }, '🙂')]).toEqual([
      ['must be at most 3 byte(s) long'],
      [],
    ]);
  });
  it('checks an unset string at its zero value, the empty string', () => {
    expect(s({ minLen: 1n }, undefined)).toEqual(['must be at least 1 character(s) long']);
  });
});

describe('string content', () => {
  it("checks const, patterns (with RE2's inline case-insensitive flag) and affixes", () => {
    expect([s({ const: 'x' }, 'y'), s({ const: 'x' }, 'x')]).toEqual([['must equal "x"'], []]);
    expect([s({ pattern: '^a+$' }, 'aab'), s({ pattern: '^a+$' }, 'aa')]).toEqual([
      ['must match pattern "^a+$"'],
      [],
    ]);
    expect([s({ pattern: '(?i)^abc$' }, 'ABC'), s({ pattern: '(?i)^abc$' }, 'abd')]).toEqual([
      [],
      ['must match pattern "(?i)^abc$"'],
    ]);
    expect([s({ pattern: '^.$' }, '🙂')]).toEqual([[]]);
    expect([s({ prefix: 'ab' }, 'xab'), s({ prefix: 'ab' }, 'abx')]).toEqual([['must start with "ab"'], []]);
    expect([s({ suffix: 'ab' }, 'abx'), s({ suffix: 'ab' }, 'xab')]).toEqual([['must end with "ab"'], []]);
    expect([s({ contains: 'b' }, 'ac'), s({ contains: 'b' }, 'abc')]).toEqual([['must contain "b"'], []]);
    expect([s({ notContains: 'b' }, 'abc'), s({ notContains: 'b' }, 'ac')]).toEqual([
      ['must not contain "b"'],
      [],
    ]);
  });
  it('checks in and not_in, ignoring empty lists', () => {
    expect([s({ in: ['a', 'b'] }, 'c'), s({ in: ['a', 'b'] }, 'b')]).toEqual([
      ['must be one of "a", "b"'],
      [],
    ]);
    expect([s({ notIn: ['a', 'b'] }, 'a'), s({ notIn: ['a', 'b'] }, 'c')]).toEqual([
      ['must not be one of "a", "b"'],
      [],
    ]);
    expect([s({ in: [] }, 'z'), s({ notIn: [] }, 'z')]).toEqual([[], []]);
  });
  it('skips every rule for the empty string under ignore_empty', () => {
    const r = { minLen: 3n, ignoreEmpty: true };
    expect([s(r, ''), s(r, 'ab'), s(r, 'abc')]).toEqual([[], ['must be at least 3 character(s) long'], []]);
  });
});

describe('well-known string formats', () => {
  const f = (wellKnown: Record<string, unknown>, v: string) =>
    messages(check1(T.STRING, { type: { case: 'string', value: { wellKnown } as never } }, v));
  const both = (name: string, good: string, bad: string, what: string) =>
    expect([f({ case: name, value: true }, good), f({ case: name, value: true }, bad)]).toEqual([
      [],
      [`must be ${what}`],
    ]);
  it('checks each format with its own test and message', () => {
    both('email', 'a@example.com', 'a@', 'an email address');
    both('hostname', 'example.com', 'a_b', 'a hostname');
    both('ip', '::1', '1.2.3', 'an IP address');
    both('ip', '10.0.0.1', 'x', 'an IP address');
    both('ipv4', '10.0.0.1', '::1', 'an IPv4 address');
    both('ipv6', '::1', '10.0.0.1', 'an IPv6 address');
    both('uri', 'http://x', '/x', 'an absolute URI');
    both('address', 'example.com', 'a_b', 'a hostname or IP address');
    both('address', '10.0.0.1', '1:2', 'a hostname or IP address');
    both('address', '::1', ':::', 'a hostname or IP address');
    both('uuid', '123e4567-e89b-12d3-a456-426614174000', '123e4567', 'a UUID');
    expect(f({ case: 'uriRef', value: true }, '/any thing')).toEqual([]);
  });
  it('checks nothing for a format set to false', () => {
    expect(f({ case: 'hostname', value: false }, 'a_b')).toEqual([]);
  });
  it('checks header names and values strictly by default, loosely when strict is false', () => {
    const name = (v: string, strict?: boolean) =>
      messages(
        check1(
          T.STRING,
          {
            type: {
              case: 'string',
              value: {
                wellKnown: { case: 'wellKnownRegex', value: 1 },
                ...(strict === undefined ? {} : { strict }),
              },
            },
          },
          v,
        ),
      );
    expect([name('a b'), name('a b', true), name('a b', false), name('a\nb', false), name('x-a')]).toEqual([
      ['must be a valid HTTP header name'],
      ['must be a valid HTTP header name'],
      [],
      ['must be a valid HTTP header name'],
      [],
    ]);
    const value = (v: string) =>
      messages(
        check1(
          T.STRING,
          { type: { case: 'string', value: { wellKnown: { case: 'wellKnownRegex', value: 2 } } } },
          v,
        ),
      );
    expect([value('a\x01'), value('a b')]).toEqual([['must be a valid HTTP header value'], []]);
    const unknown = messages(
      check1(
        T.STRING,
        { type: { case: 'string', value: { wellKnown: { case: 'wellKnownRegex', value: 0 } } } },
        '\n',
      ),
    );
    expect(unknown).toEqual([]);
  });
});
