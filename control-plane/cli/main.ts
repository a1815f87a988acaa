// `switchyard <command>`: dispatch only. Each command lives in its own module under commands/
// and is loaded lazily, so `switchyard status` does not pay for the control plane's imports.
import { asSwitchyardError } from '../errors/index.js';
import { exitCodeFor } from './exit-codes.js';

type CommandModule = { run(args: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  certs: {
    summary: 'workload identity: CA, bootstrap tokens, CSR server, certificate agent',
    load: () => import('./commands/certs.js'),
  },
  'config-dump': {
    summary: 'print the xDS resources a node would receive for a policy directory, as YAML',
    load: () => import('./commands/config-dump.js'),
  },
  'control-plane': {
    summary: 'run the xDS server, policy pipeline and admin API',
    load: () => import('./commands/control-plane.js'),
  },
  pod: {
    summary: 'run a data-plane pod: ONNX Runtime behind the KServe v2 gRPC and HTTP APIs',
    load: () => import('./commands/pod.js'),
  },
  status: {
    summary: 'show connected proxies and their sync state',
    load: () => import('./commands/status.js'),
  },
  apply: { summary: 'create or update policies from files', load: () => import('./commands/apply.js') },
  get: { summary: 'list policies, or show one', load: () => import('./commands/get.js') },
  diff: { summary: 'show what applying files would change', load: () => import('./commands/diff.js') },
  delete: { summary: 'delete a policy', load: () => import('./commands/delete.js') },
  history: { summary: "list a policy's revisions", load: () => import('./commands/history.js') },
  rollback: {
    summary: 'restore an earlier revision of a policy',
    load: () => import('./commands/rollback.js'),
  },
  endpoints: {
    summary: 'list endpoints with health, load and weight',
    load: () => import('./commands/endpoints.js'),
  },
  audit: {
    summary: 'show (log) or check (verify) the audit trail',
    load: () => import('./commands/audit.js'),
  },
  apikey: {
    summary: 'generate an API key and its hash for the auth config',
    load: () => import('./commands/apikey.js'),
  },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`);
  return ['usage: switchyard <command> [options]', '', 'commands:', ...rows, ''].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`switchyard: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await cmd.load()).run(rest);
  } catch (err) {
    const e = asSwitchyardError(err);
    process.stderr.write(`switchyard ${name}: ${e.message} [${e.code}]\n`);
    return exitCodeFor(e.code);
  }
}
