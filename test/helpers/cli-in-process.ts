// The `switchyard` CLI run inside a test process: no tsx start-up per call. Kept apart from
// cli.ts (subprocess runs), which the demo uses outside vitest.
import { vi } from 'vitest';
import type { CliResult } from './cli.js';

/**
 * Runs `switchyard` in this process (no tsx start-up per call), capturing what it writes.
 * Only for commands that finish: stdout and stderr are taken over while it runs.
 */
export async function runMain(...argv: string[]): Promise<CliResult> {
  // The same command list the launcher (switchyard.mjs) puts together.
  const [{ dispatch }, { CONTROL_PLANE_COMMANDS }, { DATA_PLANE_COMMANDS }] = await Promise.all([
    import('../../kernel/cli/dispatch.js'),
    import('../../control-plane/cli/commands.js'),
    import('../../data-plane/cli/commands.js'),
  ]);
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    stdout += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
    stderr += String(c);
    return true;
  });
  try {
    return {
      code: await dispatch({ ...CONTROL_PLANE_COMMANDS, ...DATA_PLANE_COMMANDS }, argv, true),
      stdout,
      stderr,
    };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
