// A logger that keeps its records, for tests that assert what was logged. It is the real logger
// (pino, redaction, JSON) writing into an array instead of stdout.
import { createLogger, type Logger } from './logger.js';
import type { LogLevel } from './options.js';

export interface LogRecord {
  readonly level: string;
  readonly time: string;
  readonly component: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface MemoryLogger extends Logger {
  /** Every line as written: one JSON object each. */
  readonly raw: string[];
  readonly records: LogRecord[];
  /** `LEVEL message`, e.g. `WARN nats: disconnected from …`, for quick matching. */
  readonly lines: string[];
}

export function memoryLogger(component = 'test', level: LogLevel = 'debug'): MemoryLogger {
  // Live arrays, appended as lines are written: a test may hold one and wait for a line to come.
  const raw: string[] = [];
  const records: LogRecord[] = [];
  const lines: string[] = [];
  const write = (line: string) => {
    const r = JSON.parse(line) as LogRecord;
    raw.push(line);
    records.push(r);
    lines.push(`${r.level.toUpperCase()} ${r.msg}`);
  };
  return { ...createLogger(component, { level, write }), raw, records, lines };
}
