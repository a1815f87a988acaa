import { OptionError } from '../../../kernel/errors/index.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { DELETE_FLAGS } from '../options.js';

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(
    DELETE_FLAGS,
    'switchyard delete NAME [-n NAMESPACE] [--reason TEXT]',
    argv,
  );
  if (!call) return 0;
  const { flags, conn } = call;
  const [name] = flags._;
  if (!name) throw new OptionError('delete: NAME is required');
  const q = flags.reason ? `?reason=${encodeURIComponent(flags.reason)}` : '';
  await adminRequest(
    conn,
    'DELETE',
    `api/v1/namespaces/${encodeURIComponent(conn.namespace)}/policies/${encodeURIComponent(name)}${q}`,
  );
  process.stdout.write(`modelroute ${conn.namespace}/${name} deleted\n`);
  return 0;
}
