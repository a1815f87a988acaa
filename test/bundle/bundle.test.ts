// The launcher's prebuilt bundle (kernel/bundle/): it runs only while newer than every source it
// was built from, and it behaves as the sources do (docs/ARCHITECTURE.md, "The launcher and its
// bundle"). The bundle under test is built into a folder of its own, never the live one, which
// the suite's other processes start from.
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript (the launcher reads it before any TypeScript loader exists)
import { BUNDLE_DIR, freshBundle, STAMP } from '../../kernel/bundle/fresh.mjs';
import { type CliResult, runCli, runNode } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
type Fresh = { entry?: string; reason?: string };
const fresh = (root: string, entry?: string, env: NodeJS.ProcessEnv = {}) =>
  (freshBundle as (root: string, entry?: string, env?: NodeJS.ProcessEnv) => Fresh)(root, entry, env);

describe('the bundle is fresh only while no source changed', () => {
  let root: string;
  const stamp = (startedAt: number) =>
    writeFileSync(
      join(root, BUNDLE_DIR, STAMP),
      JSON.stringify({ startedAt, inputs: ['src/a.ts', 'src/b.ts'], dirs: ['src'] }),
    );
  const age = (rel: string, secondsAgo: number) => {
    const t = (Date.now() - secondsAgo * 1000) / 1000;
    utimesSync(join(root, rel), t, t);
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bundle-fresh-'));
    mkdirSync(join(root, 'src'));
    mkdirSync(join(root, BUNDLE_DIR), { recursive: true });
    writeFileSync(join(root, 'src/a.ts'), 'export const a = 1;');
    writeFileSync(join(root, 'src/b.ts'), 'export const b = 1;');
    for (const entry of ['switchyard.js', 'session-worker.js'])
      writeFileSync(join(root, BUNDLE_DIR, entry), '');
    for (const rel of ['src/a.ts', 'src/b.ts', 'src']) age(rel, 60);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names no bundle built when there is no stamp', () => {
    expect(fresh(root)).toEqual({ reason: 'no bundle built' });
  });

  it('is not used when its record is damaged or its entry is missing', () => {
    for (const text of [
      '{}',
      '[]',
      'null',
      '{"startedAt":"x","inputs":[],"dirs":[]}',
      '{"startedAt":1,"inputs":{}}',
    ]) {
      writeFileSync(join(root, BUNDLE_DIR, STAMP), text);
      expect(fresh(root), text).toEqual({ reason: `${BUNDLE_DIR}/${STAMP} is not a build's record` });
    }
    stamp(Date.now() - 30_000);
    rmSync(join(root, BUNDLE_DIR, 'switchyard.js'));
    expect(fresh(root)).toEqual({ reason: `${BUNDLE_DIR}/switchyard.js is missing` });
    writeFileSync(join(root, BUNDLE_DIR, 'switchyard.js'), '');
  });

  it('is fresh when every source and folder is older than the build, and names the entry asked for', () => {
    stamp(Date.now() - 30_000);
    expect(fresh(root).entry).toBe(pathToFileURL(join(root, BUNDLE_DIR, 'switchyard.js')).href);
    expect(fresh(root, 'session-worker').entry).toBe(
      pathToFileURL(join(root, BUNDLE_DIR, 'session-worker.js')).href,
    );
  });

  it('is never used with SWITCHYARD_NO_BUNDLE=1', () => {
    stamp(Date.now() - 30_000);
    expect(fresh(root, 'switchyard', { SWITCHYARD_NO_BUNDLE: '1' })).toEqual({
      reason: 'SWITCHYARD_NO_BUNDLE=1',
    });
    expect(fresh(root, 'switchyard', { SWITCHYARD_NO_BUNDLE: '0' }).entry).toBeDefined();
  });

  it('is stale once a source is edited after the build began (even while it ran)', () => {
    stamp(Date.now() - 30_000);
    age('src/b.ts', 10);
    expect(fresh(root)).toEqual({ reason: 'src/b.ts changed after the bundle was built' });
    age('src/b.ts', 60);
  });

  it('is stale once a file is added beside its sources or one of them is removed', () => {
    stamp(Date.now() - 30_000);
    writeFileSync(join(root, 'src/c.ts'), 'export const c = 1;');
    expect(fresh(root)).toEqual({ reason: 'src changed after the bundle was built' });
    age('src', 60);
    rmSync(join(root, 'src/a.ts'));
    expect(fresh(root).reason).toBe('src/a.ts is gone');
  });
});

/** Runs the bundle in `dir` with `args` as the launcher would, in a process of its own. */
function runBundle(dir: string, args: string[]): Promise<CliResult> {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'switchyard.js')).href)});
process.exitCode = await m.dispatch({ ...m.CONTROL_PLANE_COMMANDS, ...m.DATA_PLANE_COMMANDS }, ${JSON.stringify(args)});`;
  return runNode(['--input-type=module', '-e', script]);
}

describe('a bundle built from the sources', () => {
  let dir: string;
  beforeAll(() => {
    // Inside the repository, so that its npm packages resolve from node_modules as the live
    // bundle's do (git-ignored as the live one is).
    dir = join(ROOT, 'kernel/bundle', `dist-test-${process.pid}`);
    const res = spawnSync(process.execPath, [join(ROOT, 'kernel/bundle/build.mjs'), '--out', dir], {
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records every source it holds, and leaves no import.meta.url naming the bundle', () => {
    const stamp = JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as { inputs: string[]; dirs: string[] };
    expect(stamp.inputs).toContain('control-plane/cli/commands.ts');
    expect(stamp.inputs).toContain('data-plane/runtime/session-worker.ts');
    expect(stamp.inputs).toContain('kernel/cli/dispatch.ts');
    expect(stamp.dirs).toContain('protos/gen/envoy/config/cluster/v3');
    // Sources find their neighbours (worker entries, the console, package.json) by it.
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.js')))
      expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/import\.meta\.url/);
  });

  it('builds only into a folder of its own inside the repository (it empties it first)', () => {
    const outside = mkdtempSync(join(tmpdir(), 'bundle-outside-'));
    writeFileSync(join(outside, 'keep.txt'), 'kept');
    const res = spawnSync(process.execPath, [join(ROOT, 'kernel/bundle/build.mjs'), '--out', outside], {
      encoding: 'utf8',
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('--out must name a folder kernel/bundle/dist-<name>');
    expect(readFileSync(join(outside, 'keep.txt'), 'utf8')).toBe('kept');
    rmSync(outside, { recursive: true, force: true });
  });

  it.each(['--version', 'pod --help', 'apply --no-such-flag'])(
    'answers `switchyard %s` as the sources do',
    async (line) => {
      const args = line.split(' ');
      const [bundled, sources] = await Promise.all([
        runBundle(dir, args),
        runCli(args, { SWITCHYARD_NO_BUNDLE: '1' }),
      ]);
      expect(bundled).toEqual(sources);
      expect(bundled.stdout + bundled.stderr).not.toBe('');
    },
  );
});
