// `make bench`: runs every test/bench/*.bench.ts in its own process, one after another (the
// machine has 2 cores; suites never overlap), or only those whose name contains an argument:
// `npx tsx test/bench/run.ts xds`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const suites = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (suites.length === 0) {
  process.stderr.write(`no benchmark matches ${filters.join(' ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const [i, suite] of suites.entries()) {
  process.stdout.write(`\n=== [${i + 1}/${suites.length}] ${suite} ===\n`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(here, suite)], { stdio: 'inherit' });
  if (res.status !== 0) {
    failed++;
    process.stdout.write(`!!! ${suite} exited with ${res.status ?? res.signal}\n`);
  }
}
process.exit(failed ? 1 : 0);
