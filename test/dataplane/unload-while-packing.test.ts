// A version unloaded while its weights are packed in the background, in a process of its own
// (what failed was the process): it must live through unloads at every point of the packing.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./unload-while-packing-child.ts', import.meta.url));

describe('unloading a version while its weights are packed in the background', () => {
  it('keeps the pod process alive whenever the unload lands', async () => {
    // Every 50 ms of the packing (about a second here): the abort needs an unload inside the
    // native session create, which one run of this sweep hit two times in three without the fix.
    const delays = Array.from({ length: 21 }, (_, i) => i * 50).join(',');
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, delays], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(out).not.toContain('terminate called');
    expect({ code, last: out.trim().split('\n').at(-1) }).toEqual({ code: 0, last: 'alive' });
    expect(out.match(/unloaded after/g)).toHaveLength(21);
  }, 120_000);
});
