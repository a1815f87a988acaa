// Whether the prebuilt bundle of the `switchyard` command (build.mjs) may run in place of the
// TypeScript sources. It may only when it is newer than every source file it was built from and
// every folder they sit in (a file added or removed changes its folder), so an edit since the
// last build always runs the sources through tsx instead: a stale bundle never runs. Plain
// JavaScript, read by the launcher before any TypeScript loader exists. docs/ARCHITECTURE.md,
// "The launcher and its bundle".
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where build.mjs writes, relative to the repository root. */
export const BUNDLE_DIR = 'kernel/bundle/dist';
/** The build's record: what it was built from, written last. */
export const STAMP = 'stamp.json';

/**
 * The URL of the bundle's `entry` (`switchyard` or `session-worker`) when the bundle is fresh;
 * otherwise the reason it is not (the first source found newer, no bundle built, or
 * SWITCHYARD_NO_BUNDLE=1 in `env`, which always runs the sources).
 */
export function freshBundle(root, entry = 'switchyard', env = process.env) {
  if (env.SWITCHYARD_NO_BUNDLE === '1') return { reason: 'SWITCHYARD_NO_BUNDLE=1' };
  const dir = join(root, BUNDLE_DIR);
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(dir, STAMP), 'utf8'));
  } catch {
    return { reason: 'no bundle built' };
  }
  if (!Number.isFinite(stamp?.startedAt) || !Array.isArray(stamp.inputs) || !Array.isArray(stamp.dirs))
    return { reason: `${BUNDLE_DIR}/${STAMP} is not a build's record` };
  const file = join(dir, `${entry}.js`);
  try {
    statSync(file);
  } catch {
    return { reason: `${BUNDLE_DIR}/${entry}.js is missing` };
  }
  // The time the build began reading, so that an edit made while it ran counts as after it.
  const builtAt = stamp.startedAt;
  for (const rel of [...stamp.inputs, ...stamp.dirs]) {
    let mtime;
    try {
      mtime = statSync(join(root, rel)).mtimeMs;
    } catch {
      return { reason: `${rel} is gone` };
    }
    if (mtime > builtAt) return { reason: `${rel} changed after the bundle was built` };
  }
  return { entry: pathToFileURL(file).href };
}
