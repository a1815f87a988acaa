import type { LeaseStatus } from '../../lease/index.js';
import type { GroupStatus, ModelProblem } from '../../pipeline/snapshot-publisher.js';
import type { ProxyStatus } from '../../xds/status/proxy-registry.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { ADMIN_CLIENT_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { age, renderTable } from '../table.js';

const TYPES = ['CDS', 'EDS', 'LDS', 'RDS', 'SDS'] as const;

/** `synced`, `stale` (sent but not ACKed) or `NACK` per type, like istioctl proxy-status. */
function syncCell(p: ProxyStatus, t: string): string {
  const s = p.types[t];
  if (!s) return '-';
  if (s.lastNack && s.lastNack.version === s.sent) return 'NACKED';
  if (s.sent && s.sent === s.acked) return 'SYNCED';
  return 'STALE';
}

/** The client library and its version, as the node announced them (`c-core 29.0.0 Python 1.51.1`). */
function clientCell(p: ProxyStatus): string {
  // Proxies listed by a control plane that predates the client field have none.
  if (!p.client) return '-';
  return p.client.version ? `${p.client.family} ${p.client.version}` : p.client.family;
}

/** Which replica runs singleton work (CA rotation, GitOps sync), with its fencing token. */
function leaderLine(l: LeaseStatus): string {
  if (!l.known) return `leader: unknown (replica ${l.replica} cannot read the lease)`;
  if (!l.leader) return `leader: none (lease free; replica ${l.replica} answering)`;
  const you = l.held ? ' (this replica)' : ` (answering: ${l.replica})`;
  return `leader: ${l.leader}${you}, fencing token ${l.token}, lease until ${l.expiresAt}`;
}

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(ADMIN_CLIENT_FLAGS, 'switchyard status [-o table|yaml|json]', argv);
  if (!call) return 0;
  const { conn, format } = call;
  const [{ proxies }, { groups, models = [], leader }] = await Promise.all([
    adminRequest<{ proxies: ProxyStatus[] }>(conn, 'GET', 'api/v1/proxies'),
    adminRequest<{ groups: GroupStatus[]; models?: ModelProblem[]; leader?: LeaseStatus }>(
      conn,
      'GET',
      'api/v1/snapshots',
    ),
  ]);
  if (format !== 'table') {
    printData(format, { proxies, groups, models, ...(leader ? { leader } : {}) });
    return 0;
  }
  if (leader) process.stdout.write(`${leaderLine(leader)}\n\n`);
  const snapRows = groups.map((g) => [
    g.group,
    g.version ?? '-',
    g.publishedAt ? age(g.publishedAt) : '-',
    g.lastError ? `ERROR ${g.lastError.code}: ${g.lastError.message.split('\n')[0]}` : 'ok',
  ]);
  process.stdout.write(renderTable(['group', 'version', 'published', 'state'], snapRows));
  process.stdout.write('\n');
  if (models.length) {
    // One model held back never stops the others: name each one and what clients get instead.
    const modelRows = models.map((m) => [
      m.model,
      m.policy,
      m.code,
      m.serving,
      age(m.since),
      m.groups.join(','),
    ]);
    process.stdout.write(renderTable(['model', 'policy', 'code', 'serving', 'since', 'groups'], modelRows));
    process.stdout.write(`${models.map((m) => `  ${m.policy}: ${m.message}`).join('\n')}\n\n`);
  }
  const rows = proxies.map((p) => [
    p.nodeId || '(no node id)',
    p.flavor,
    clientCell(p),
    p.protocol,
    age(p.connectedSince),
    ...TYPES.map((t) => syncCell(p, t)),
  ]);
  process.stdout.write(renderTable(['node', 'flavor', 'client', 'xds', 'connected', ...TYPES], rows));
  const nacks = proxies.flatMap((p) =>
    Object.entries(p.types)
      .filter(([, s]) => s.lastNack)
      .map(([t, s]) => `${p.nodeId} ${t} rejected ${s.lastNack!.version}: ${s.lastNack!.message}`),
  );
  if (nacks.length) process.stdout.write(`\nlast NACKs:\n${nacks.map((n) => `  ${n}`).join('\n')}\n`);
  return 0;
}
