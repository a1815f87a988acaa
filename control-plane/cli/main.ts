// `switchyard <command>`: dispatch only. Each command lives in its own module under commands/
// and is loaded lazily, so `switchyard status` does not pay for the control plane's imports.
// Commander answers what no command does: the command list, --version, and unknown commands
// (with a suggestion).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { asSwitchyardError } from '../errors/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

type CommandModule = { run(args: string[]): Promise<number> };

/**
 * `server`: a long-running process. One that fails to start exits at once with its line, because
 * a library may still hold a socket open after its failure (nats.js keeps the socket of a
 * connect that timed out on a peer that never answered), and a supervisor waits on the exit.
 */
const COMMANDS: Record<string, { summary: string; server?: true; load: () => Promise<CommandModule> }> = {
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
    server: true,
    load: () => import('./commands/control-plane.js'),
  },
  pod: {
    summary: 'run a data-plane pod: ONNX Runtime behind the KServe v2 gRPC and HTTP APIs',
    server: true,
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
    summary: 'restore an earlier revision of a policy (default: the previous one)',
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

/** The package version, read from package.json next to the sources. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function program(): Command {
  const p = new Command('switchyard')
    .usage('<command> [options]')
    .description('xDS control plane for model serving; every command takes --help')
    .version(version(), '-V, --version')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: () => undefined,
    });
  for (const [name, c] of Object.entries(COMMANDS)) p.command(name).description(c.summary);
  return p;
}

/**
 * Leaving quietly when the reader of stdout is gone (`switchyard status | head`): what was
 * asked for has been delivered as far as anyone listens.
 */
let epipeHandled = false;
function exitQuietlyOnEpipe(): void {
  if (epipeHandled) return;
  epipeHandled = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnEpipe();
  const [name, ...rest] = argv;
  const cmd = name === undefined ? undefined : COMMANDS[name];
  if (cmd) {
    try {
      return await (await cmd.load()).run(rest);
    } catch (err) {
      const e = asSwitchyardError(err);
      process.stderr.write(`switchyard ${name}: ${e.message} [${e.code}]\n`);
      if (cmd.server) process.exit(exitCodeFor(e.code));
      return exitCodeFor(e.code);
    }
  }
  // `switchyard help status` is `switchyard status --help`.
  if (name === 'help' && rest[0] && COMMANDS[rest[0]]) return main([rest[0], '--help']);
  const p = program();
  if (name === undefined || name === 'help') {
    process.stdout.write(p.helpInformation());
    return name ? EXIT.ok : EXIT.usage;
  }
  try {
    p.parse(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    const line = err.message
      .replace(/^error: /, '')
      .split('\n')
      .filter(Boolean)
      .join(' ');
    process.stderr.write(`switchyard: ${line}; see switchyard --help\n`);
    return EXIT.usage;
  }
}
