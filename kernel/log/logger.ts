// The one structured logger of both programs (pino). Every record is one line: JSON for machines
// (`{"level":"info","time":"…","component":"xds","msg":"…",…fields}`), or pino-pretty's lines for
// a terminal. Lines go to stderr: stdout is what a command prints for scripts (help, the ready
// line, results), so a pipe reading it never meets a log line. Secrets are scrubbed before pino
// sees a record (./redact.ts), and JSON escapes control characters, so a client value with a
// newline cannot forge a second line.
import { pino, stdTimeFunctions } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { defaultLogLevel, type LogFormat, type LogLevel } from './options.js';
import { REDACT_PATHS, REDACTED, scrubFields, scrubText } from './redact.js';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** The same sink and level, for a part of the component: `xds` -> `xds.sds`. */
  child(name: string): Logger;
  /**
   * Whether a line at `level` would be written: a hot path (one line per request) checks before
   * it builds the line's fields.
   */
  enabled?(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Default json; the CLI picks pretty for a terminal (./options.ts). */
  readonly format?: LogFormat;
  /** Where lines go (each ends with a newline); default stderr, written synchronously. */
  readonly write?: (line: string) => void;
}

// Keys the record itself uses: a caller's field of that name is kept under another name.
const RESERVED = new Set(['level', 'time', 'component', 'msg']);

function safeFields(fields: LogFields | undefined): LogFields | undefined {
  const scrubbed = scrubFields(fields);
  if (!scrubbed) return undefined;
  for (const k of Object.keys(scrubbed))
    if (RESERVED.has(k)) {
      scrubbed[`field.${k}`] = scrubbed[k];
      delete scrubbed[k];
    }
  return scrubbed;
}

function destination(format: LogFormat, write: ((line: string) => void) | undefined) {
  const out = write ?? pino.destination({ dest: 2, sync: true });
  const emit = typeof out === 'function' ? out : (line: string) => out.write(line);
  if (format === 'json') return { write: emit };
  // pino-pretty's factory formats synchronously: no worker thread, nothing lost at exit.
  const pretty = prettyFactory({
    colorize: write === undefined && process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    messageFormat: '{component}: {msg}',
    ignore: 'component',
  });
  return { write: (line: string) => emit(pretty(line)) };
}

function escapeControls(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'json';
  const root = pino(
    {
      level: options.level ?? defaultLogLevel(),
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // Errors arrive already flattened by scrubFields; pino's serializer would re-wrap them.
      serializers: { err: (e: unknown) => e },
    },
    destination(format, options.write),
  );
  // JSON escapes control characters itself; a terminal would obey them, so pretty escapes them.
  const text = format === 'pretty' ? (m: string) => escapeControls(scrubText(m)) : scrubText;
  const make = (name: string): Logger => {
    const p = root.child({ component: name });
    const at =
      (l: 'debug' | 'info' | 'warn' | 'error') =>
      (msg: string, fields?: LogFields): void => {
        if (!p.isLevelEnabled(l)) return;
        const f = safeFields(fields);
        if (f) p[l](f, text(msg));
        else p[l](text(msg));
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (sub) => make(`${name}.${sub}`),
      enabled: (l) => p.isLevelEnabled(l),
    };
  };
  return make(component);
}
