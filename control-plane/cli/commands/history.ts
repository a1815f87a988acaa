import { OptionError } from '../../errors/index.js';
import type { PolicyRevision } from '../../store/policy-record.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { ADMIN_CLIENT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { age, renderTable } from '../table.js';

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(ADMIN_CLIENT_FLAGS, 'switchyard history NAME [-n NAMESPACE]', argv);
  if (!call) return 0;
  const { flags, conn, format } = call;
  const [name] = flags._;
  if (!name) throw new OptionError('history: NAME is required');
  const { revisions } = await adminRequest<{ revisions: PolicyRevision[] }>(
    conn,
    'GET',
    `api/v1/namespaces/${encodeURIComponent(conn.namespace)}/policies/${encodeURIComponent(name)}/history`,
  );
  if (format !== 'table') {
    printData(format, { revisions });
    return 0;
  }
  const rows = revisions.map((r) => {
    const weights = (
      r.record?.document as { spec?: { versions?: Array<{ name: string; weight: number }> } } | undefined
    )?.spec?.versions
      ?.map((v) => `${v.name}=${v.weight}`)
      .join(',');
    const change =
      r.operation !== 'PUT'
        ? 'deleted'
        : r.record?.restoredFrom
          ? `${r.record.source} to ${r.record.restoredFrom}`
          : (r.record?.source ?? '');
    return [
      String(r.revision),
      change,
      weights ?? '-',
      r.record?.appliedBy ?? '-',
      age(r.at),
      r.record?.reason ?? '',
    ];
  });
  process.stdout.write(renderTable(['revision', 'change', 'weights', 'by', 'age', 'reason'], rows));
  return 0;
}
