import { describe, expect, it } from 'vitest';
import { LogOptionError } from './errors.js';
import { defaultLogLevel, parseLogSettings } from './options.js';

describe('log settings', () => {
  it('takes the flag values; without a format, pretty for a terminal and JSON otherwise', () => {
    expect(parseLogSettings({ level: 'debug', format: 'json' }, { level: 'info', isTTY: true })).toEqual({
      level: 'debug',
      format: 'json',
    });
    expect(parseLogSettings({}, { level: 'info', isTTY: true })).toEqual({ level: 'info', format: 'pretty' });
    expect(parseLogSettings({}, { level: 'warn', isTTY: false })).toEqual({ level: 'warn', format: 'json' });
  });

  it('refuses an unknown level or format, naming the option, the value and the choices', () => {
    const bad = () => parseLogSettings({ level: 'loud' }, { level: 'info', isTTY: false });
    expect(bad).toThrow(LogOptionError);
    expect(bad).toThrow('--log-level: "loud" is not one of debug, info, warn, error, silent');
    try {
      parseLogSettings({ format: 'xml' }, { level: 'info', isTTY: false });
      expect.unreachable();
    } catch (err) {
      expect((err as LogOptionError).code).toBe('SY_OPTION_INVALID');
      expect((err as Error).message).toContain('--log-format: "xml" is not one of json, pretty');
    }
  });

  it('defaults to $SWITCHYARD_LOG when valid, else info (warn under the test runner)', () => {
    expect(defaultLogLevel({ SWITCHYARD_LOG: 'error' })).toBe('error');
    expect(defaultLogLevel({ SWITCHYARD_LOG: 'nonsense' })).toBe('info');
    expect(defaultLogLevel({})).toBe('info');
    expect(defaultLogLevel({ VITEST: 'true' })).toBe('warn');
  });
});
