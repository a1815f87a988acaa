import { OptionError } from '../../../kernel/errors/index.js';
import type { PolicyRecord, PolicyRevision } from '../../store/policy-record.js';
import { routeOf } from '../../store/policy-record.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { ADMIN_CLIENT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { age, renderTable } from '../table.js';

/**
 * `v1=90,v2=10` as the policy serves it: weights with their defaults filled in (a single
 * version without a weight takes all traffic), so what was applied and what is shown agree.
 */
function weights(record: PolicyRecord | undefined): string {
  if (!record) return '-';
  try {
    return routeOf(record.document, 'history')
      .spec.versions.map((v) => `${v.name}=${v.weight}`)
      .join(',');
  } catch {
    // A revision today's rules refuse still gets a row: its weights as written.
    const versions = (record.document as { spec?: { versions?: Array<{ name?: string; weight?: number }> } })
      .spec?.versions;
    return versions?.map((v) => `${v.name ?? '?'}=${v.weight ?? '?'}`).join(',') ?? '-';
  }
}

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
    const change =
      r.operation !== 'PUT'
        ? 'deleted'
        : r.record?.restoredFrom
          ? `${r.record.source} to ${r.record.restoredFromNumber ?? r.record.restoredFrom}`
          : (r.record?.source ?? '');
    return [
      r.number !== undefined ? String(r.number) : '-',
      change,
      weights(r.record),
      r.record?.appliedBy ?? '-',
      age(r.at),
      r.record?.reason ?? '',
    ];
  });
  process.stdout.write(renderTable(['revision', 'change', 'weights', 'by', 'age', 'reason'], rows));
  return 0;
}
