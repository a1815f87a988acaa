import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { inNamespace, readManifests } from '../manifests.js';
import { DIFF_FLAGS } from '../options.js';
import { printData } from '../output.js';

interface DiffResult {
  namespace: string;
  name: string;
  exists: boolean;
  changed: boolean;
  diff: string;
}

/** Like kubectl diff: exit 0 when nothing would change, 1 when something would. */
export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(DIFF_FLAGS, 'switchyard diff -f FILE|DIR', argv);
  if (!call) return 0;
  const { flags, conn, format } = call;
  const results: DiffResult[] = [];
  for (const m of inNamespace(readManifests(flags.filename), conn.namespace, flags.namespace !== undefined)) {
    const r = await adminRequest<DiffResult>(conn, 'POST', 'api/v1/policies/diff', { document: m.document });
    results.push(r);
    if (format === 'table' && r.changed) process.stdout.write(r.diff);
  }
  if (format !== 'table') printData(format, { results });
  return results.some((r) => r.changed) ? 1 : 0;
}
