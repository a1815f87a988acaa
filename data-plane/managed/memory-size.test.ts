import { describe, expect, it } from 'vitest';
import { OptionError } from '../../kernel/errors/index.js';
import { formatBytes, parseMemorySize } from './memory-size.js';

describe('memory sizes', () => {
  it('reads bytes and binary and decimal units', () => {
    expect(parseMemorySize('1048576', '--memory-limit')).toBe(1_048_576);
    expect(parseMemorySize('512Mi', '--memory-limit')).toBe(512 * 2 ** 20);
    expect(parseMemorySize('2Gi', '--memory-limit')).toBe(2 * 2 ** 30);
    expect(parseMemorySize('1.5Gi', '--memory-limit')).toBe(1.5 * 2 ** 30);
    expect(parseMemorySize('3G', '--memory-limit')).toBe(3e9);
    expect(parseMemorySize('64k', '--memory-limit')).toBe(64_000);
  });

  it('refuses anything else, naming the option and the value', () => {
    for (const bad of ['', 'lots', '2GB', '-1Mi', '0', '1 Gi x', 'Mi']) {
      expect(() => parseMemorySize(bad, '--memory-limit')).toThrow(OptionError);
      expect(() => parseMemorySize(bad, '--memory-limit')).toThrow(/--memory-limit/);
    }
  });

  it('formats sizes for reasons and logs', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(300 * 2 ** 20)).toBe('300.0 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
  });
});
