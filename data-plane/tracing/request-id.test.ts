import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_ID_LENGTH, requestIdOf } from './request-id.js';

describe('requestIdOf', () => {
  it('keeps an ordinary id as it is (Envoy sends UUIDs)', () => {
    expect(requestIdOf('9f1c6a2e-43b1-4bb4-9d53-3f4f1e1a8a11')).toBe('9f1c6a2e-43b1-4bb4-9d53-3f4f1e1a8a11');
    expect(requestIdOf(['first', 'second'])).toBe('first');
    expect(requestIdOf(Buffer.from('from-metadata'))).toBe('from-metadata');
  });

  it('generates a UUID when none (or an empty one) is given', () => {
    for (const raw of [undefined, '', [], 42]) expect(requestIdOf(raw)).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(undefined)).not.toBe(requestIdOf(undefined));
  });

  it('percent-encodes everything that could forge or bend a log line', () => {
    expect(requestIdOf('a\nb')).toBe('a%0Ab');
    expect(requestIdOf('x\r\n{"level":"fatal"}')).toBe('x%0D%0A{%22level%22:%22fatal%22}');
    expect(requestIdOf('\u001b[31mred')).toBe('%1B[31mred');
    expect(requestIdOf('back\\slash 100%')).toBe('back%5Cslash%20100%25');
    expect(requestIdOf('ÿ')).toBe('%C3%BF');
    // `%` itself is encoded, so an encoded id never reads as a different raw one.
    expect(requestIdOf('a%0Ab')).toBe('a%250Ab');
  });

  it('bounds the length', () => {
    expect(requestIdOf('x'.repeat(1000))).toHaveLength(MAX_REQUEST_ID_LENGTH);
    expect(requestIdOf('\n'.repeat(1000)).length).toBeLessThanOrEqual(MAX_REQUEST_ID_LENGTH);
  });
});
