// Small files, one concept each: no source file of either program or of the kernel is over
// MAX_LINES (docs/ARCHITECTURE.md, "The house"). Tests and generated code are not counted.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 400;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FOLDERS = ['control-plane', 'data-plane', 'kernel'];

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'testdata') yield* sources(path);
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) yield path;
  }
}

function lineCount(path: string): number {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Every source file over the limit, as "path: N lines", longest first. */
function oversized(max = MAX_LINES): string[] {
  const found: Array<[string, number]> = [];
  for (const folder of FOLDERS)
    for (const path of sources(join(ROOT, folder))) {
      const n = lineCount(path);
      if (n > max) found.push([relative(ROOT, path), n]);
    }
  return found.sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p}: ${n} lines`);
}

describe('file size', () => {
  it(`finds no source file over ${MAX_LINES} lines`, () => {
    expect(oversized()).toEqual([]);
  });

  it('would name the offenders: the same walk with a smaller limit finds the largest files', () => {
    const all = oversized(0);
    expect(all.length).toBeGreaterThan(100);
    expect(all.some((l) => l.startsWith('kernel/'))).toBe(true);
    expect(all.some((l) => l.startsWith('data-plane/'))).toBe(true);
    expect(all[0]).toMatch(/^(control-plane|data-plane|kernel)\/\S+\.ts: \d+ lines$/);
  });
});
