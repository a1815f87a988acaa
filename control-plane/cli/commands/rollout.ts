import { OptionError } from '../../../kernel/errors/index.js';
import type { RolloutView } from '../../rollout/rollout-view.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { ROLLOUT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { renderRollout } from '../rollout-render.js';

const USAGE =
  'switchyard rollout start NAME [--candidate V] | status NAME [--watch] | promote|abort|pause|resume NAME [-n NAMESPACE] [--reason TEXT]';
const COMMANDS = ['promote', 'abort', 'pause', 'resume'] as const;
const FINAL = new Set(['succeeded', 'failed', 'aborted']);

/** Redraws in place on a terminal; elsewhere prints each change once, so a log reads well. */
async function watch(load: () => Promise<RolloutView>): Promise<void> {
  const tty = process.stdout.isTTY;
  let last = '';
  for (;;) {
    const v = await load();
    const text = renderRollout(v);
    if (text !== last) {
      process.stdout.write(tty ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
      last = text;
    }
    if (FINAL.has(v.phase)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(ROLLOUT_FLAGS, USAGE, argv);
  if (!call) return 0;
  const { flags, conn, format } = call;
  const [verb, name] = flags._;
  if (!verb) throw new OptionError(`rollout: a subcommand is required (${USAGE})`);
  if (!name) throw new OptionError(`rollout ${verb}: NAME is required`);
  const path = `api/v1/namespaces/${encodeURIComponent(conn.namespace)}/rollouts/${encodeURIComponent(name)}`;
  const reason = flags.reason ? { reason: flags.reason } : {};
  let view: RolloutView;
  if (verb === 'start') {
    view = await adminRequest<RolloutView>(conn, 'POST', path, {
      ...(flags.candidate ? { candidate: flags.candidate } : {}),
      ...reason,
    });
  } else if (verb === 'status') {
    if (flags.watch && format === 'table') {
      await watch(() => adminRequest<RolloutView>(conn, 'GET', path));
      return 0;
    }
    view = await adminRequest<RolloutView>(conn, 'GET', path);
  } else if ((COMMANDS as readonly string[]).includes(verb)) {
    view = await adminRequest<RolloutView>(conn, 'POST', `${path}/${verb}`, reason);
  } else {
    throw new OptionError(
      `rollout: unknown subcommand ${JSON.stringify(verb)} (start, status, ${COMMANDS.join(', ')})`,
    );
  }
  if (format === 'table') process.stdout.write(renderRollout(view));
  else printData(format, view);
  return 0;
}
