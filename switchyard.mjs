#!/usr/bin/env node
// `switchyard`: the launcher above both programs. It puts the control plane's commands and the
// data plane's `pod` into one command list and hands the arguments to the shared dispatcher
// (kernel/cli/dispatch.ts); neither program imports the other (docs/ARCHITECTURE.md).
// It runs the prebuilt bundle of that command list when the bundle is newer than every source it
// was built from (kernel/bundle/, built by `make install`), and the TypeScript sources through
// tsx's loader otherwise, so an edit never runs stale code; SWITCHYARD_NO_BUNDLE=1 always runs
// the sources. The protobuf code the sources import is generated on first use (a fresh clone has
// none; protos/gen is git-ignored).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBundle } from './kernel/bundle/fresh.mjs';

const root = dirname(fileURLToPath(import.meta.url));

async function commandList() {
  const bundle = freshBundle(root);
  // Its stack traces name the bundle's lines; node's --enable-source-maps maps them back to the
  // sources (reading the maps at every start cost about a quarter second, so not by default).
  if (bundle.entry) return import(bundle.entry);
  if (!existsSync(join(root, 'protos/gen/.stamp'))) {
    const res = spawnSync(process.execPath, [join(root, 'protos/gen.mjs')], { stdio: 'inherit' });
    if (res.status !== 0) process.exit(res.status ?? 1);
  }
  const { register } = await import('tsx/esm/api');
  register();
  const [{ dispatch }, { CONTROL_PLANE_COMMANDS }, { DATA_PLANE_COMMANDS }] = await Promise.all([
    import('./kernel/cli/dispatch.ts'),
    import('./control-plane/cli/commands.ts'),
    import('./data-plane/cli/commands.ts'),
  ]);
  return { dispatch, CONTROL_PLANE_COMMANDS, DATA_PLANE_COMMANDS };
}

const { dispatch, CONTROL_PLANE_COMMANDS, DATA_PLANE_COMMANDS } = await commandList();
process.exitCode = await dispatch(
  { ...CONTROL_PLANE_COMMANDS, ...DATA_PLANE_COMMANDS },
  process.argv.slice(2),
);
