// Builds the web console's bundle (dist/app.js and dist/app.css, git-ignored) with esbuild from
// preact, htm and uPlot: everything the page loads is served by the admin port, nothing from a
// CDN. `npx tsx control-plane/console/build.ts` (the Makefile's install step runs it).

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
});
const sizes = Object.entries(result.metafile.outputs)
  .map(([file, o]) => `${file.split('/').pop()} ${(o.bytes / 1024).toFixed(0)} KiB`)
  .join(', ');
process.stdout.write(`console bundle built in ${Math.round(performance.now() - started)} ms: ${sizes}\n`);
