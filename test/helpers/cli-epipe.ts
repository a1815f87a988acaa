// `switchyard ... | head` after head has gone: the CLI's stdout is a pipe whose read end is
// already closed, so its first write fails with EPIPE. A real pipe (test/helpers/epipe.py), not a
// race with a reader that closes "soon".
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliResult } from './cli.js';

const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));
const EPIPE_PY = fileURLToPath(new URL('./epipe.py', import.meta.url));

/** stdout of the result is empty: nobody could read it. */
export function runCliIntoClosedPipe(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // Debian's python3 (test prerequisites), not whatever python3 comes first on PATH.
    const child = spawn('/usr/bin/python3', [EPIPE_PY, process.execPath, BIN, ...args]);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', () => {
      const nl = out.indexOf('\n');
      resolve({ code: Number(out.slice(0, nl)), stdout: '', stderr: out.slice(nl + 1) });
    });
  });
}
