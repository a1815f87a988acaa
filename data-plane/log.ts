// The pod's log lines: one line per event on stderr, `time level message`. Tests pass their
// own Logger to capture or silence them.
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const RANK: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** Lines at or above $SWITCHYARD_LOG (debug|info|warn|error|silent; default info), as the control plane. */
export function stderrLogger(prefix = 'pod', level = process.env.SWITCHYARD_LOG ?? 'info'): Logger {
  const min = RANK[level] ?? RANK.info!;
  const line = (l: string, msg: string) => {
    if (RANK[l.toLowerCase()]! >= min)
      process.stderr.write(`${new Date().toISOString()} ${l} ${prefix}: ${msg}\n`);
  };
  return {
    info: (m) => line('INFO', m),
    warn: (m) => line('WARN', m),
    error: (m) => line('ERROR', m),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Keeps lines in memory: for tests that assert what was logged. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERROR ${m}`),
  };
}
