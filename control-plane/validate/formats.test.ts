// PGV's well-known string formats, each at its edges: the boundary values of every range, both
// ends of every pattern (a match that is not anchored would pass junk around a valid value).
import { describe, expect, it } from 'vitest';
import { headerTest, isEmail, isHostname, isIpv4, isIpv6, isUri, isUuid } from './formats.js';

const accepts = (f: (s: string) => boolean, xs: string[]) => expect(xs.filter((x) => !f(x))).toEqual([]);
const refuses = (f: (s: string) => boolean, xs: string[]) => expect(xs.filter((x) => f(x))).toEqual([]);

describe('isIpv4', () => {
  it('accepts every octet range up to 255', () => {
    accepts(isIpv4, [
      '0.0.0.0',
      '249.0.0.1',
      '200.1.1.1',
      '255.255.255.255',
      '250.249.200.199',
      '100.99.10.9',
      '1.2.3.4',
      '10.20.30.40',
    ]);
  });
  it('refuses octets above 255, leading zeros, wrong counts and anything around the address', () => {
    refuses(isIpv4, [
      '256.1.1.1',
      '260.1.1.1',
      '300.1.1.1',
      '1.1.1.256',
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4.5',
      ' 1.2.3.4',
      '1.2.3.4 ',
      'a.b.c.d',
      '1.2.3.a',
      '1a.2.3.4',
      '',
    ]);
  });
});

describe('isIpv6', () => {
  it('accepts full, compressed, zoned and IPv4-tailed forms', () => {
    accepts(isIpv6, [
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      'ABCD:ef01:2345:6789:abcd:EF01:2345:6789',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      'fe80::1%eth0',
      '::ffff:1.2.3.4',
      '1:2:3:4:5:6:1.2.3.4',
      '1::1.2.3.4',
    ]);
  });
  it('refuses too many or too few groups, two gaps, bad groups and misplaced IPv4', () => {
    refuses(isIpv6, [
      '',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '1::2::3',
      '12345::',
      'g::1',
      '1::2:',
      ':1::2',
      '1.2.3.4::',
      '1.2.3.4',
      '::1.2.3.256',
      '::1.2.3.4:5',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::1:2:3:4:5:6:1.2.3.4',
      '%eth0',
    ]);
  });
});

describe('isHostname', () => {
  const label63 = 'a'.repeat(63);
  const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;
  it('accepts labels of letters, digits and inner hyphens, up to 63 per label and 253 in all', () => {
    accepts(isHostname, ['a', 'A9', 'a-b.example.com', 'example.com.', label63, name253, `${name253}.`]);
  });
  it('refuses empty names and labels, edge hyphens, other characters and overlong names or labels', () => {
    refuses(isHostname, [
      '',
      '.',
      'a..b',
      'a..',
      '.a',
      '-a',
      'a-',
      'a.-b',
      'a_b',
      'a b',
      'é',
      `${label63}a`,
      `${name253}c`,
      `${name253}c.`,
    ]);
  });
});

describe('isEmail', () => {
  it('accepts a local part of 1 to 64 characters before a hostname, split at the last @', () => {
    accepts(isEmail, ['a@b', 'a.b+c@example.com', `${'x'.repeat(64)}@example.com`, 'a@b@example.com']);
  });
  it('refuses a missing or overlong local part and a domain that is no hostname', () => {
    refuses(isEmail, [
      'ab',
      '@example.com',
      `${'x'.repeat(65)}@example.com`,
      'a@-b',
      'a@',
      'a@b_c',
      'a@b@c_d',
    ]);
  });
});

describe('isUri', () => {
  it('accepts a scheme of a letter then letters, digits, +, . or -, and any text without spaces', () => {
    accepts(isUri, ['http://x', 'x:', 'urn:isbn:0451450523', 'a+b.c-d9:rest', 'Z:/path?q#f']);
  });
  it('refuses no scheme, a scheme not starting with a letter, other scheme characters and spaces', () => {
    refuses(isUri, [
      '',
      'http//x',
      '//x/y',
      '1http://x',
      '+a:x',
      'a_b:x',
      'a b:x',
      ' http://x',
      'http://a b',
      'http://x ',
    ]);
  });
});

describe('isUuid', () => {
  it('accepts 8-4-4-4-12 hex digits of either case', () => {
    accepts(isUuid, ['123e4567-e89b-12d3-a456-426614174000', 'ABCDEF01-2345-6789-ABCD-EF0123456789']);
  });
  it('refuses wrong group lengths, non-hex digits and anything around it', () => {
    refuses(isUuid, [
      '123e4567-e89b-12d3-a456-42661417400',
      '123e4567-e89b-12d3-a456-4266141740000',
      '123e456-e89b-12d3-a456-426614174000',
      '123e4567-e89-12d3-a456-426614174000',
      '123e4567-e89b-12d-a456-426614174000',
      '123e4567-e89b-12d3-a45-426614174000',
      'g23e4567-e89b-12d3-a456-426614174000',
      '123e4567-e89b-12d3-a456-42661417400g',
      '123e4567e89b12d3a456426614174000',
      ' 123e4567-e89b-12d3-a456-426614174000',
      '123e4567-e89b-12d3-a456-426614174000 ',
    ]);
  });
});

describe('headerTest', () => {
  it('knows only the header name (1) and header value (2) patterns', () => {
    expect(headerTest(0, true)).toBeUndefined();
    expect(headerTest(3, true)).toBeUndefined();
    expect(headerTest(0, false)).toBeUndefined();
  });

  it('checks a strict header name as an HTTP token, with an optional leading colon', () => {
    const name = headerTest(1, true)!;
    accepts(name, [':authority', 'x-a', "!#$%&'*+-.^_|~`", 'A0z9']);
    refuses(name, ['', ':', '::a', 'a:', 'a b', 'a\tb', 'a"b', 'a(b', 'a/b', 'é', 'a\nb']);
  });

  it('checks a strict header value for control characters other than tab', () => {
    const value = headerTest(2, true)!;
    accepts(value, ['', 'a b', 'a\tb', '~', 'é', ' !"(),/:;<=>?@[\\]{}']);
    refuses(value, ['a\x00b', 'a\x01b', 'a\x08b', 'a\nb', 'a\rb', 'a\x1fb', 'a\x7fb']);
  });

  it('relaxes both to "no NUL, LF or CR" when not strict', () => {
    for (const kind of [1, 2]) {
      const relaxed = headerTest(kind, false)!;
      accepts(relaxed, ['', 'a b', 'a\tb', 'a\x01b', 'a\x7fb', 'a:b(c)']);
      refuses(relaxed, ['a\x00b', 'a\nb', 'a\rb', '\n', '\r']);
    }
  });
});
