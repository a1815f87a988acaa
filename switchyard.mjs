#!/usr/bin/env node
// `switchyard`: the launcher above both programs. It puts the control plane's commands and the
// data plane's `pod` into one command list and hands the arguments to the shared dispatcher
// (kernel/cli/dispatch.ts); neither program imports the other (docs/ARCHITECTURE.md).
// TypeScript runs through tsx's loader, and the protobuf code the sources import is generated on
// first use (a fresh clone has none; protos/gen is git-ignored).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(root, 'protos/gen/.stamp'))) {
  const res = spawnSync(process.execPath, [join(root, 'protos/gen.mjs')], { stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
register();
const [{ dispatch }, { CONTROL_PLANE_COMMANDS }, { DATA_PLANE_COMMANDS }] = await Promise.all([
  import('./kernel/cli/dispatch.ts'),
  import('./control-plane/cli/commands.ts'),
  import('./data-plane/cli/commands.ts'),
]);
process.exitCode = await dispatch(
  { ...CONTROL_PLANE_COMMANDS, ...DATA_PLANE_COMMANDS },
  process.argv.slice(2),
);
