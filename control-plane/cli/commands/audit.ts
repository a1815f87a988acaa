import { OptionError } from '../../../kernel/errors/index.js';
import type { AuditRecord, VerifyResult } from '../../audit/audit-chain.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { AUDIT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { renderTable } from '../table.js';

/** `audit log` prints the trail; `audit verify` checks the hash chain and exits 1 if broken. */
export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(AUDIT_FLAGS, 'switchyard audit log|verify', argv);
  if (!call) return 0;
  const { flags, conn, format } = call;
  const [sub] = flags._;
  if (sub === 'verify') {
    const r = await adminRequest<VerifyResult>(conn, 'POST', 'api/v1/audit/verify');
    if (format !== 'table') printData(format, r);
    else if (r.ok)
      process.stdout.write(`audit trail intact: ${r.records} records, head ${r.head.slice(0, 16)}\n`);
    else
      process.stdout.write(
        `audit trail BROKEN (${r.records} records read):\n${r.problems.map((p) => `  ${p}`).join('\n')}\n`,
      );
    return r.ok ? 0 : 1;
  }
  if (sub !== 'log') throw new OptionError('audit: use "audit log" or "audit verify"');
  const { records } = await adminRequest<{ records: AuditRecord[] }>(
    conn,
    'GET',
    `api/v1/audit?limit=${flags.limit}`,
  );
  if (format !== 'table') {
    printData(format, { records });
    return 0;
  }
  const rows = records.map((r) => [
    String(r.index),
    r.at,
    r.who,
    r.from,
    // A change is an intent and its outcome; only the unusual phases are spelled out.
    r.action +
      (r.restoredFrom ? ` to ${r.restoredFrom}` : '') +
      (r.phase && r.phase !== 'committed' ? ` (${r.phase})` : ''),
    `${r.namespace}/${r.name}`,
    r.revision ? String(r.revision) : '-',
    r.error ?? r.reason ?? '',
  ]);
  process.stdout.write(
    renderTable(['#', 'time', 'who', 'from', 'action', 'policy', 'revision', 'reason'], rows),
  );
  return 0;
}
