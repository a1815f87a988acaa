// Builds the `switchyard` command into one ES module bundle (plus the chunks its lazily loaded
// commands split into, and a pod's session worker) under kernel/bundle/dist, git-ignored. A
// process started from the bundle skips tsx's loader, which resolves and compiles some 570
// modules one by one at every start. The launcher runs the bundle only while it is fresh
// (fresh.mjs); `make install` rebuilds it. docs/ARCHITECTURE.md, "The launcher and its bundle".
//
//   node kernel/bundle/build.mjs              builds when the bundle is missing or stale
//   node kernel/bundle/build.mjs --force      builds anyway
//   node kernel/bundle/build.mjs --out kernel/bundle/dist-NAME
//                                             builds there (tests), never read by the launcher
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_DIR, freshBundle, STAMP } from './fresh.mjs';

const USAGE = `usage: node kernel/bundle/build.mjs [--force] [--out kernel/bundle/dist-NAME]
  builds the switchyard command's bundle into kernel/bundle/dist when it is missing or stale
  --force   builds even when fresh
  --out     builds into another folder (tests); the launcher never reads it`;

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Each source's `import.meta.url` stays its own file's URL: the sources find files beside them
 * (worker entries, the console's assets, package.json) by it, and in a bundle it would name the
 * bundle instead.
 */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      };
    });
  },
};

/** Builds into `dir` (made afresh) and writes its stamp last. */
async function buildInto(dir) {
  const startedAt = Date.now();
  mkdirSync(join(dir, 'src'), { recursive: true });
  // The launcher's command list (both programs' commands and the shared dispatcher), written
  // here because no source file may import both programs.
  const entry = join(dir, 'src/switchyard-entry.js');
  const from = (p) => JSON.stringify(relative(dirname(entry), join(root, p)));
  writeFileSync(
    entry,
    [
      `export { dispatch } from ${from('kernel/cli/dispatch.ts')};`,
      `export { CONTROL_PLANE_COMMANDS } from ${from('control-plane/cli/commands.ts')};`,
      `export { DATA_PLANE_COMMANDS } from ${from('data-plane/cli/commands.ts')};`,
    ].join('\n'),
  );
  const result = await build({
    entryPoints: {
      switchyard: entry,
      // A pod's session worker thread (data-plane/runtime/worker.mjs starts it from here).
      'session-worker': join(root, 'data-plane/runtime/session-worker.ts'),
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // npm packages load from node_modules as they do under tsx (native addons, their own files).
    packages: 'external',
    // As tsx compiles: error classes take their name from the class (new.target.name).
    keepNames: true,
    sourcemap: true,
    outdir: dir,
    metafile: true,
    // The metafile's paths are relative to it.
    absWorkingDir: root,
    logLevel: 'warning',
    plugins: [ownUrl],
  });
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => relative(root, resolve(root, p)))
    .filter((p) => !p.startsWith('..') && !p.startsWith('kernel/bundle/') && !p.includes('node_modules/'));
  const dirs = [...new Set(inputs.map((p) => dirname(p)))];
  writeFileSync(join(dir, STAMP), JSON.stringify({ startedAt, inputs, dirs }));
  return { inputs: inputs.length, ms: Date.now() - startedAt };
}

async function main() {
  const { values } = parseArgs({
    options: { force: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.out) {
    const dir = resolve(values.out);
    // It is emptied first, so only a folder of our own; and inside the repository, where the
    // bundle's npm packages resolve.
    if (dirname(dir) !== join(root, 'kernel/bundle') || !/^dist-[\w.-]+$/.test(basename(dir)))
      throw new Error(`--out must name a folder kernel/bundle/dist-<name>, not ${values.out}`);
    rmSync(dir, { recursive: true, force: true });
    const { inputs, ms } = await buildInto(dir);
    console.log(`bundle: built ${dir} from ${inputs} sources in ${ms} ms`);
    return;
  }
  if (!values.force && freshBundle(root).entry) return;
  // Built beside the live bundle and swapped in, so that a process starting meanwhile finds the
  // old bundle whole or none at all (and runs the sources).
  const out = join(root, BUNDLE_DIR);
  const next = `${out}.next-${process.pid}`;
  const old = `${out}.old-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  const { inputs, ms } = await buildInto(next);
  // Another build (a second `make` at the same time) may swap its own in between: theirs is as
  // fresh as ours, so whichever lands last stays and nothing fails.
  try {
    if (existsSync(out)) renameSync(out, old);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  try {
    renameSync(next, out);
  } catch (err) {
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  }
  rmSync(next, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
  console.log(`bundle: built ${BUNDLE_DIR} from ${inputs} sources in ${ms} ms`);
}

main().catch((err) => {
  console.error(`bundle: ${err.message}`);
  process.exit(1);
});
