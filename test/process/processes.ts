// A real `switchyard` process (switchyard.mjs) as a supervisor sees it: its output as
// it comes, its exit code, and waits for either with a deadline instead of sleeping.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../switchyard.mjs', import.meta.url));

export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Exit code (a signal counts as 128 + its number, as shells report it). */
  readonly exited: Promise<number>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => {
      this.stdout += d;
    });
    this.child.stderr!.on('data', (d) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
    });
  }

  /** The exit code, or undefined when the process is still running after `ms`. */
  async exitWithin(ms: number): Promise<number | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      this.exited,
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), ms);
      }),
    ]);
    clearTimeout(timer);
    return code;
  }

  /** Resolves once stdout or stderr matches; rejects (with the output) after `ms` or on exit. */
  async waitForOutput(re: RegExp, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (!re.test(this.stdout) && !re.test(this.stderr)) {
      if (exited || Date.now() > deadline)
        throw new Error(`no ${re} in the output:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Lines of stderr that are not the processes' log records (one JSON object each). */
export function plainLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() && !isLogRecord(l));
}

function isLogRecord(line: string): boolean {
  try {
    const r = JSON.parse(line) as { level?: unknown; msg?: unknown };
    return typeof r.level === 'string' && typeof r.msg === 'string';
  } catch {
    return false;
  }
}

/** Holds a loopback port, as another process would. */
export function holdPort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ port: typeof a === 'object' && a ? a.port : 0, server });
    });
  });
}
