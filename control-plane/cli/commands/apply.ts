import { formatIssues, OptionError, SwitchyardError } from '../../../kernel/errors/index.js';
import type { ApplyResult } from '../../api/policy-service.js';
import { adminRequest } from '../admin-client.js';
import { startClientCommand } from '../client-command.js';
import { inNamespace, manifestId, readManifests } from '../manifests.js';
import { APPLY_FLAGS } from '../options.js';
import { printData } from '../output.js';
import { ackedLine, waitForAcks } from '../sync-wait.js';

/**
 * With -f DIR the server's "request: ..." would not say which file is wrong: every line of a
 * refusal names the file (problems in a document, not a server that cannot be reached).
 */
function inFile(file: string, err: unknown): unknown {
  if (!(err instanceof SwitchyardError) || ['SY_UNAVAILABLE', 'SY_STORE', 'SY_INTERNAL'].includes(err.code))
    return err;
  const lines = err.message.replace(/^request: /, '').split('\n');
  return new SwitchyardError(err.code, lines.map((l) => `${file}: ${l}`).join('\n'), { cause: err });
}

function outcomeText(r: ApplyResult): string {
  if (r.dryRun) return `${r.outcome} (dry run)`;
  const revision = r.outcome === 'unchanged' ? '' : ` (revision ${r.number ?? r.revision})`;
  return `${r.outcome}${revision}${r.replayed ? ' [replayed]' : ''}`;
}

export async function run(argv: string[]): Promise<number> {
  const call = startClientCommand(
    APPLY_FLAGS,
    'switchyard apply -f FILE|DIR [--reason TEXT] [--auto-rollback] [--dry-run] [--wait [--timeout 30s]]',
    argv,
  );
  if (!call) return 0;
  const { flags, conn, format } = call;
  const manifests = inNamespace(readManifests(flags.filename), conn.namespace, flags.namespace !== undefined);
  const dryRun = !!flags['dry-run'];
  if (dryRun && flags.wait)
    throw new OptionError('--wait with --dry-run: a dry run stores nothing to wait for');
  const results: ApplyResult[] = [];
  for (const [i, m] of manifests.entries()) {
    // One key per document: a retried `apply` of the same files applies each at most once.
    const key = flags['idempotency-key'] && !dryRun ? `${flags['idempotency-key']}#${i}` : undefined;
    const r = await adminRequest<ApplyResult>(
      conn,
      'POST',
      dryRun ? 'api/v1/policies?dryRun=true' : 'api/v1/policies',
      {
        document: m.document,
        ...(flags.reason ? { reason: flags.reason } : {}),
        ...(flags['auto-rollback'] ? { autoRollback: true } : {}),
      },
      key ? { 'idempotency-key': key } : {},
    ).catch((err: unknown) => {
      throw inFile(m.source, err);
    });
    results.push(r);
    if (format === 'table') process.stdout.write(`modelroute ${manifestId(m)} ${outcomeText(r)}\n`);
    for (const c of r.checks ?? [])
      process.stderr.write(
        `warning: modelroute ${manifestId(m)}: ${c.flavor} clients would not get it (${c.code}): ${formatIssues(c.issues).replaceAll('\n', '; ')}\n`,
      );
  }
  // After every document is stored, so one wait covers the publish they share.
  const synced = [];
  if (flags.wait)
    for (const r of results) {
      const started = Date.now();
      const done = await waitForAcks(
        conn,
        { namespace: r.namespace, name: r.name, revision: r.revision },
        flags.timeout,
        (line) => process.stderr.write(`${line}\n`),
      );
      synced.push(done);
      if (format === 'table') process.stdout.write(`${ackedLine(done, Date.now() - started)}\n`);
    }
  if (format !== 'table') printData(format, { results, ...(flags.wait ? { synced } : {}) });
  return 0;
}
