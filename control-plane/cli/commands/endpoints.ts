import type { EndpointView } from '../../pipeline/endpoint-view.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { ADMIN_CLIENT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { renderTable } from '../table.js';

type Row = EndpointView & {
  utilization?: number;
  queue?: number;
  p99Ms?: number;
  effectiveWeight?: number;
  state?: string;
};

const num = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(ADMIN_CLIENT_FLAGS, 'switchyard endpoints [-o table|yaml|json]', argv);
  if (!call) return 0;
  const { conn, format } = call;
  const { endpoints } = await adminRequest<{ endpoints: Row[] }>(conn, 'GET', 'api/v1/endpoints');
  if (format !== 'table') {
    printData(format, { endpoints });
    return 0;
  }
  const rows = endpoints.map((e) => [
    e.model,
    e.version,
    `${e.address}:${e.port}`,
    e.backend ?? '-',
    e.region ?? '-',
    e.state ?? e.health,
    e.utilization === undefined ? '-' : `${num(e.utilization * 100)}%`,
    num(e.queue),
    num(e.p99Ms, 1),
    num(e.effectiveWeight ?? e.weight),
    e.source,
  ]);
  process.stdout.write(
    renderTable(
      [
        'model',
        'version',
        'address',
        'backend',
        'region',
        'state',
        'util',
        'queue',
        'p99 ms',
        'weight',
        'source',
      ],
      rows,
    ),
  );
  return 0;
}
