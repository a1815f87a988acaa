// Plain structured log lines on stderr: `2026-11-28T15:00:00.000Z info xds stream opened id=3`.
// Level from $SWITCHYARD_LOG (debug|info|warn|error|silent); tests default to warn.
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

function defaultLevel(): Level {
  const env = process.env.SWITCHYARD_LOG as Level | undefined;
  if (env && env in ORDER) return env;
  return process.env.VITEST ? 'warn' : 'info';
}

function format(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([k, v]) => {
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      return ` ${k}=${/[\s"]/.test(s) ? JSON.stringify(s) : s}`;
    })
    .join('');
}

export function createLogger(
  name: string,
  level: Level = defaultLevel(),
  sink = (line: string) => process.stderr.write(line),
): Logger {
  const at = ORDER[level];
  const emit = (l: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] >= at) sink(`${new Date().toISOString()} ${l} ${name} ${msg}${format(fields)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${name}.${sub}`, level, sink),
  };
}
