// A pod without --otlp-endpoint never loads OpenTelemetry: a module hook in a child process
// records every @opentelemetry specifier resolved while a pod starts, serves a request and
// closes. Off: none. On (the control): the SDK and the exporter.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./tracing-off-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sy-tracing-off-'));

async function resolvedWith(mode: 'on' | 'off'): Promise<string[]> {
  const out = join(dir, `${mode}.txt`);
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, out], {
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  expect(code, output).toBe(0);
  expect(output).toContain('status 200');
  return readFileSync(out, 'utf8').split('\n').filter(Boolean);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tracing off', () => {
  it('loads no OpenTelemetry module; tracing on loads the SDK and exporter', async () => {
    expect(await resolvedWith('off')).toEqual([]);
    const on = await resolvedWith('on');
    expect(on).toEqual(
      expect.arrayContaining(['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto']),
    );
  }, 120_000);
});
