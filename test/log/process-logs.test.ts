// The logs of a real `switchyard pod` process: JSON records on stderr when it is not a terminal,
// pretty lines with --log-format pretty, stdout free of log lines, and a bad --log-level refused
// with one clear line before anything starts.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/ports.js';
import { CliProcess, plainLines } from '../process/processes.js';

// Generous: each process compiles the sources on start, on a machine shared with other suites.
const START_MS = 90_000;

let scratch: string;
let empty: string;
const running: CliProcess[] = [];
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sy-logs-'));
  empty = join(scratch, 'empty');
  await mkdir(empty);
});
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function pod(extra: string[], env: NodeJS.ProcessEnv = {}): Promise<CliProcess & { http: number }> {
  const [http, grpc, metrics] = await freePorts(3);
  // biome-ignore format: one flag per line reads better
  const p = new CliProcess([
    'pod', '--model-repo', empty, '--allow-empty-repo', '--drain-grace', '0s',
    '--http-port', String(http), '--grpc-port', String(grpc), '--metrics-port', String(metrics),
    ...extra,
  ], env);
  running.push(p);
  return Object.assign(p, { http: http! });
}

/** Resolves once the pod answers its liveness probe (it logs nothing at --log-level error). */
async function live(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/v2/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`pod on ${port} not live after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a pod process', { timeout: 240_000 }, () => {
  it('writes one JSON record per stderr line, none on stdout', async () => {
    const p = await pod([], { SWITCHYARD_LOG: 'info' });
    await p.waitForOutput(/serving 0 model version/, START_MS);
    p.child.kill('SIGTERM');
    expect(await p.exitWithin(30_000)).toBe(0);
    const lines = p.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) {
      expect(Object.keys(r).slice(0, 4)).toEqual(['level', 'time', 'component', 'msg']);
      expect(r.component).toBe('pod');
    }
    expect(records.some((r) => /serving 0 model version/.test(String(r.msg)))).toBe(true);
    expect(records.some((r) => r.level === 'info' && /drain: done/.test(String(r.msg)))).toBe(true);
    expect(p.stdout).not.toMatch(/"level"/);
  });

  it('drains, exit 0, when SIGTERM comes while it starts', async () => {
    const p = await pod(['--log-level', 'info']);
    // Logged by the start itself, before the pod serves: its signal handlers are already in place.
    await p.waitForOutput(/holds no model versions/, START_MS);
    p.child.kill('SIGTERM');
    expect(await p.exitWithin(30_000)).toBe(0);
    expect(p.stderr).toMatch(/serving 0 model version/);
    expect(p.stderr).toMatch(/drain: done/);
  });

  it('writes pretty lines with --log-format pretty, and honours --log-level', async () => {
    const p = await pod(['--log-format', 'pretty', '--log-level', 'info']);
    await p.waitForOutput(/INFO: pod: pod \S+ serving 0 model version/, START_MS);
    p.child.kill('SIGTERM');
    expect(await p.exitWithin(30_000)).toBe(0);
    expect(p.stderr).not.toMatch(/^\{"level"/m);
    const quiet = await pod(['--log-level', 'error']);
    await live(quiet.http, START_MS);
    quiet.child.kill('SIGTERM');
    expect(await quiet.exitWithin(START_MS)).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('refuses an unknown level with one line naming the choices', async () => {
    const p = await pod(['--log-level', 'loud']);
    const code = await p.exitWithin(START_MS);
    expect(code).toBe(2);
    const lines = plainLines(p.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /--log-level: "loud" is not one of debug, info, warn, error, silent \[SY_OPTION_INVALID\]/,
    );
  });
});
