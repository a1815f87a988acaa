import { describe, expect, it } from 'vitest';
import { sanitizeNackText } from './nack-text.js';

describe('sanitizeNackText', () => {
  it('turns control, format and line-separator characters into single spaces', () => {
    expect(sanitizeNackText('a\r\nfake line\u202e\u2028b\t\tc\u0000')).toBe('a fake line b c');
  });

  it('bounds the length in characters, marking the cut', () => {
    expect(sanitizeNackText('🙂'.repeat(10), 4)).toBe('🙂🙂🙂…');
    expect(sanitizeNackText('abcd', 4)).toBe('abcd');
  });
});
