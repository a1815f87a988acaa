import type { EndpointView } from '../../pipeline/endpoint-view.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { ADMIN_CLIENT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { renderTable } from '../table.js';

const num = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));

/**
 * SPLIT is the version's share of the model's traffic (the policy's weight); LB-WEIGHT balances
 * between the endpoints of one version (the tuner's, or the policy's static weight). A version
 * without endpoints gets a row of its own, so a route that cannot serve is not hidden.
 */
export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(ADMIN_CLIENT_FLAGS, 'switchyard endpoints [-o table|yaml|json]', argv);
  if (!call) return 0;
  const { conn, format } = call;
  const { endpoints } = await adminRequest<{ endpoints: EndpointView[] }>(conn, 'GET', 'api/v1/endpoints');
  if (format !== 'table') {
    printData(format, { endpoints });
    return 0;
  }
  const rows = endpoints.map((e) =>
    e.empty
      ? [
          e.model,
          e.version,
          `${num(e.split)}%`,
          '-',
          '<none>',
          '-',
          '-',
          e.state ?? '-',
          '-',
          '-',
          '-',
          '-',
          e.source,
        ]
      : [
          e.model,
          e.version,
          e.split === undefined ? '-' : `${num(e.split)}%`,
          e.podId ?? '-',
          `${e.address}:${e.port}`,
          e.backend ?? '-',
          e.region ?? '-',
          e.state ?? e.health,
          e.utilization === undefined ? '-' : `${num(e.utilization * 100)}%`,
          num(e.queue),
          num(e.p99Ms, 1),
          num(e.effectiveWeight ?? e.weight),
          e.source,
        ],
  );
  const headers = ['model', 'version', 'split', 'pod', 'address', 'backend', 'region', 'state'];
  process.stdout.write(renderTable([...headers, 'util', 'queue', 'p99 ms', 'lb-weight', 'source'], rows));
  return 0;
}
