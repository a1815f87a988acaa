// How a process logs: level and format, parsed in one place. Flags win over the environment;
// without either, a terminal gets pretty lines and anything else (a pipe, a file, a collector)
// gets one JSON object per line. See docs/OPERATIONS.md, "Logs".
import { LogOptionError } from './errors.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The flags both programs take, in the shape of the CLI's flag tables. */
export const LOG_FLAGS = {
  'log-level': {
    type: 'string',
    help: `log level: ${LOG_LEVELS.join('|')} (default info)`,
    env: 'SWITCHYARD_LOG',
  },
  'log-format': {
    type: 'string',
    help: `log format: ${LOG_FORMATS.join('|')} (default: pretty on a terminal, else json)`,
    env: 'SWITCHYARD_LOG_FORMAT',
  },
} as const;

export interface LogSettings {
  readonly level: LogLevel;
  readonly format: LogFormat;
}

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new LogOptionError(what, value, allowed);
}

/** Level and format from flag values (already merged with their environment variables). */
export function parseLogSettings(
  raw: { readonly level?: string | undefined; readonly format?: string | undefined },
  defaults: { readonly level: LogLevel; readonly isTTY: boolean },
): LogSettings {
  return {
    level: raw.level === undefined ? defaults.level : oneOf('--log-level', raw.level, LOG_LEVELS),
    format:
      raw.format === undefined
        ? defaults.isTTY
          ? 'pretty'
          : 'json'
        : oneOf('--log-format', raw.format, LOG_FORMATS),
  };
}

/**
 * The level of a logger made without one: $SWITCHYARD_LOG when valid, else info (warn under the
 * test runner, so suites that start whole control planes stay quiet).
 */
export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const v = env.SWITCHYARD_LOG;
  if (v && (LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  return env.VITEST ? 'warn' : 'info';
}
