// `switchyard models push|list|describe|stage|approve|delete|policy`: the model registry
// (docs/REGISTRY.md) through the admin API. Errors carry the server's code and exit code.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { flagsHelp, type ParsedFlags, parseFlags } from '../../../kernel/cli/flags.js';
import { OptionError } from '../../../kernel/errors/index.js';
import { adminRequest } from '../admin-client.js';
import { type Connection, resolveConnection } from '../connection.js';
import { type ADMIN_CLIENT_FLAGS, MODELS_FLAGS } from '../options.js';
import { outputFormat, printData } from '../output.js';
import { age, renderTable } from '../table.js';
import { push } from './models-push.js';

const USAGE = `switchyard models SUBCOMMAND ...

  push NAME --version V -f model.onnx [--config config.yaml] [--label k=v]... [--metric k=v]...
       [--region R]... [--reason TEXT]           upload a version (idempotent; versions are immutable)
  list [NAME]                                    versions you may see (of NAME)
  describe NAME[:V]                              metadata, metrics, stage, placement, audit history
  stage NAME V staging|canary|production|archived [--reason TEXT]
  approve NAME V --stage STAGE [--reason TEXT]   an admin's approval (not the pusher's)
  delete NAME:V [--reason TEXT]
  policy get|set [-n NAMESPACE] [--policy-file FILE]   the namespace's promotion policy`;

interface Version {
  name: string;
  version: string;
  namespace: string;
  stage: string;
  digest: string;
  sizeBytes: number;
  pushedBy: string;
  pushedAt: string;
  regions: string[];
  metrics: Record<string, number>;
}

const path = (name: string, version?: string) =>
  `api/v1/models/${encodeURIComponent(name)}${version ? `/versions/${encodeURIComponent(version)}` : ''}`;

function splitRef(text: string | undefined, what: string): { name: string; version?: string } {
  if (!text) throw new OptionError(`models ${what}: NAME is required`);
  const at = text.indexOf(':');
  return at < 0 ? { name: text } : { name: text.slice(0, at), version: text.slice(at + 1) };
}

const kv = (r: Record<string, unknown>) =>
  Object.entries(r)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '-';

function table(versions: Version[]): string {
  return renderTable(
    ['name', 'version', 'namespace', 'stage', 'size', 'digest', 'metrics', 'pushed by', 'age'],
    versions.map((v) => [
      v.name,
      v.version,
      v.namespace,
      v.stage,
      `${(v.sizeBytes / 1e6).toFixed(1)}MB`,
      v.digest.slice(0, 19),
      kv(v.metrics),
      v.pushedBy,
      age(v.pushedAt),
    ]),
  );
}

async function describe(conn: Connection, ref: { name: string; version: string }, format: string) {
  // biome-ignore lint/suspicious/noExplicitAny: the description is printed field by field
  const d = await adminRequest<any>(conn, 'GET', path(ref.name, ref.version));
  if (format !== 'table') return printData(format as 'json' | 'yaml', d);
  const io = (l: Array<{ name: string; type: string; shape: unknown[] }>) =>
    l.map((t) => `${t.name} ${t.type}[${t.shape.join(',')}]`).join('; ');
  const lines = [
    `Name:       ${d.name}:${d.version}`,
    `Namespace:  ${d.namespace}`,
    `Stage:      ${d.stage}`,
    `Digest:     ${d.digest}`,
    `Size:       ${d.sizeBytes} bytes`,
    `Inputs:     ${io(d.inputs)}`,
    `Outputs:    ${io(d.outputs)}`,
    `Labels:     ${kv(d.labels)}`,
    `Metrics:    ${kv(d.metrics)}`,
    `Regions:    ${d.regions.length ? d.regions.join(', ') : 'any'}`,
    `Pushed:     ${d.pushedAt} by ${d.pushedBy}${d.reason ? ` (${d.reason})` : ''}`,
    `Approvals:  ${d.approvals.map((a: { by: string; stage: string }) => `${a.stage} by ${a.by}`).join('; ') || '-'}`,
    `Canary:     ${d.canaryCompleted ? `completed ${d.canaryCompleted.at}` : '-'}`,
    `Placement:  ${d.placement ? JSON.stringify(d.placement) : 'not placed (no placer record)'}`,
    'History:',
    ...d.history.map(
      (h: {
        at: string;
        action: string;
        who: string;
        phase?: string;
        diff?: string;
        error?: string;
        reason?: string;
      }) =>
        `  ${h.at}  ${h.action}${h.phase === 'aborted' ? ' REFUSED' : ''}  ${h.who}  ${h.error ?? h.diff ?? ''}${h.reason ? `  (${h.reason})` : ''}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function runSub(sub: string, flags: ParsedFlags<typeof MODELS_FLAGS>, conn: Connection): Promise<void> {
  const format = outputFormat(flags.output);
  const [, a, b, c] = flags._;
  const reason = flags.reason ? { reason: flags.reason } : {};
  switch (sub) {
    case 'push':
      return push(conn, a, flags);
    case 'list': {
      const { versions } = await adminRequest<{ versions: Version[] }>(
        conn,
        'GET',
        a ? path(a) : 'api/v1/models',
      );
      if (format === 'table') process.stdout.write(table(versions));
      else printData(format, { versions });
      return;
    }
    case 'describe': {
      const ref = splitRef(a, 'describe');
      if (ref.version) return describe(conn, { name: ref.name, version: ref.version }, format);
      const { versions } = await adminRequest<{ versions: Version[] }>(conn, 'GET', path(ref.name));
      if (!versions.length) throw new OptionError(`models describe: no versions of ${ref.name} you may see`);
      for (const v of versions) await describe(conn, v, format);
      return;
    }
    case 'stage':
    case 'approve': {
      const stage = sub === 'stage' ? c : flags.stage;
      if (!a || !b || !stage)
        throw new OptionError(
          sub === 'stage'
            ? 'models stage: NAME V STAGE are required'
            : 'models approve: NAME V --stage STAGE are required',
        );
      const v = await adminRequest<Version>(conn, 'POST', `${path(a, b)}/${sub}`, { stage, ...reason });
      process.stdout.write(
        sub === 'stage' ? `${a}:${b} is now ${v.stage}\n` : `${a}:${b} approved for ${stage}\n`,
      );
      return;
    }
    case 'delete': {
      const ref = splitRef(a, 'delete');
      if (!ref.version) throw new OptionError('models delete: NAME:VERSION is required');
      const q = flags.reason ? `?reason=${encodeURIComponent(flags.reason)}` : '';
      await adminRequest(conn, 'DELETE', `${path(ref.name, ref.version)}${q}`);
      process.stdout.write(`${ref.name}:${ref.version} deleted\n`);
      return;
    }
    case 'policy': {
      const p = `api/v1/promotion-policies/${encodeURIComponent(conn.namespace)}`;
      if (a === 'get')
        return printData(format === 'yaml' ? 'yaml' : 'json', await adminRequest(conn, 'GET', p));
      if (a !== 'set') throw new OptionError('models policy: get or set');
      if (!flags['policy-file']) throw new OptionError('models policy set: --policy-file is required');
      const doc = parse(readFileSync(flags['policy-file'], 'utf8'));
      printData('json', await adminRequest(conn, 'PUT', p, doc));
      return;
    }
    default:
      throw new OptionError(
        `models: unknown subcommand ${JSON.stringify(sub)} (push, list, describe, stage, approve, delete, policy)`,
      );
  }
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(MODELS_FLAGS, argv);
  const sub = flags._[0];
  if (flags.help || !sub) {
    process.stdout.write(flagsHelp(MODELS_FLAGS, USAGE));
    return flags.help ? 0 : 2;
  }
  // --config is the model's config.yaml here; the CLI config file comes from the environment.
  const common = { ...flags, config: process.env.SWITCHYARD_CONFIG } as unknown as ParsedFlags<
    typeof ADMIN_CLIENT_FLAGS
  >;
  await runSub(sub, flags, resolveConnection(common));
  return 0;
}
