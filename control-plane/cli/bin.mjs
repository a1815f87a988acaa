#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// npx entry point: TypeScript runs through tsx's loader, and the protobuf code that the
// sources import is generated on first use (a fresh clone has none; protos/gen is git-ignored).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
if (!existsSync(join(root, 'protos/gen/.stamp'))) {
  const res = spawnSync(process.execPath, [join(root, 'protos/gen.mjs')], { stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
