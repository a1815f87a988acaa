import { OptionError } from '../../../kernel/errors/index.js';
import type { ApplyResult } from '../../api/policy-service.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { ROLLBACK_FLAGS } from '../options.js';
import { printData } from '../output.js';

/** Revisions are the policy's own numbers (`switchyard history`), not the store's sequence. */
export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(
    ROLLBACK_FLAGS,
    'switchyard rollback NAME [--to REVISION] [-n NAMESPACE] [--reason TEXT]',
    argv,
  );
  if (!call) return 0;
  const { flags, conn, format } = call;
  const [name] = flags._;
  if (!name) throw new OptionError('rollback: NAME is required');
  const r = await adminRequest<ApplyResult>(
    conn,
    'POST',
    `api/v1/namespaces/${encodeURIComponent(conn.namespace)}/policies/${encodeURIComponent(name)}/rollback`,
    {
      ...(flags.to !== undefined ? { to: flags.to } : {}),
      ...(flags.reason ? { reason: flags.reason } : {}),
    },
  );
  if (format === 'table')
    process.stdout.write(
      `modelroute ${conn.namespace}/${name} rolled back to revision ${r.restoredFromNumber ?? flags.to ?? '?'} (now revision ${r.number ?? r.revision})\n`,
    );
  else printData(format, r);
  return 0;
}
