// Builds the web console's bundle (dist/app.js and dist/app.css, git-ignored) with esbuild from
// preact, htm and uPlot: everything the page loads is served by the admin port, nothing from a
// CDN. `npx tsx control-plane/console/build.ts` (the Makefile's install step runs it).

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const started = performance.now();
const result = await build({
  entryPoints: { app: here('./ui/main.ts') },
  outdir: here('./dist/'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
  write: false,
});
// Each file is written beside its place and renamed into it, so a control plane serving the
// bundle while it is rebuilt (two test files at once) never reads half a file.
for (const f of result.outputFiles) {
  mkdirSync(dirname(f.path), { recursive: true });
  const tmp = `${f.path}.${process.pid}.tmp`;
  writeFileSync(tmp, f.contents);
  renameSync(tmp, f.path);
}
const sizes = Object.entries(result.metafile.outputs)
  .map(([file, o]) => `${file.split('/').pop()} ${(o.bytes / 1024).toFixed(0)} KiB`)
  .join(', ');
process.stdout.write(`console bundle built in ${Math.round(performance.now() - started)} ms: ${sizes}\n`);
