// `switchyard wait NAME --for acked [--timeout 30s] [--revision N]`: returns once every
// connected proxy that uses the policy has ACKed its revision (sync-wait.ts).
import { OptionError } from '../../../kernel/errors/index.js';
import { startClientCommand } from '../client-command.js';
import { WAIT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { ackedLine, waitForAcks } from '../sync-wait.js';

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(
    WAIT_FLAGS,
    'switchyard wait NAME --for acked [--timeout 30s] [--revision N] [-n NAMESPACE]',
    argv,
  );
  if (!call) return 0;
  const { flags, conn, format } = call;
  const [name, ...extra] = flags._;
  if (!name) throw new OptionError('wait: which policy? give its name (switchyard wait NAME --for acked)');
  if (extra.length)
    throw new OptionError(`wait: one policy name, not ${flags._.length} (${flags._.join(' ')})`);
  if (flags.for !== 'acked')
    throw new OptionError(`--for ${JSON.stringify(flags.for)}: the one condition is acked`);
  const started = Date.now();
  const done = await waitForAcks(
    conn,
    {
      namespace: conn.namespace,
      name,
      ...(flags.revision !== undefined ? { revision: flags.revision } : {}),
    },
    flags.timeout,
    (line) => process.stderr.write(`${line}\n`),
  );
  if (format === 'table') process.stdout.write(`${ackedLine(done, Date.now() - started)}\n`);
  else printData(format, done);
  return 0;
}
