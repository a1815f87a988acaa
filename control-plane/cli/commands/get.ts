import type { PolicyView } from '../../api/policy-service.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { ADMIN_CLIENT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { age, renderTable } from '../table.js';

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(
    ADMIN_CLIENT_FLAGS,
    'switchyard get [NAME] [-n NAMESPACE] [-o table|yaml|json]',
    argv,
  );
  if (!call) return 0;
  const { flags, conn, format } = call;
  const [name] = flags._;
  const ns = encodeURIComponent(conn.namespace);
  if (name) {
    const p = await adminRequest<PolicyView>(
      conn,
      'GET',
      `api/v1/namespaces/${ns}/policies/${encodeURIComponent(name)}`,
    );
    if (format === 'table') printTable([p]);
    else printData(format, format === 'yaml' ? p.document : p);
    return 0;
  }
  const all = flags.namespace !== undefined;
  const { policies } = await adminRequest<{ policies: PolicyView[] }>(
    conn,
    'GET',
    `api/v1/policies${all ? `?namespace=${ns}` : ''}`,
  );
  if (format === 'table') printTable(policies);
  else printData(format, { policies });
  return 0;
}

function printTable(ps: PolicyView[]): void {
  const rows = ps.map((p) => [
    p.namespace,
    p.name,
    p.model,
    p.versions.map((v) => `${v.name}=${v.weight}`).join(','),
    p.number !== undefined ? String(p.number) : p.revision ? String(p.revision) : '-',
    p.appliedBy ?? p.source ?? '-',
    p.appliedAt ? age(p.appliedAt) : '-',
  ]);
  process.stdout.write(
    renderTable(['namespace', 'name', 'model', 'weights', 'revision', 'applied by', 'age'], rows),
  );
  const held = ps.filter((p) => p.problem);
  if (held.length)
    process.stdout.write(
      `\nnot served as written:\n${held.map((p) => `  ${p.namespace}/${p.name} ${p.problem!.code}: ${p.problem!.message}`).join('\n')}\n`,
    );
}
