// `switchyard <command>`: dispatch only, over the commands each program contributes (the
// launcher, switchyard.mjs, puts the control plane's and the data plane's together). Each
// command is loaded lazily, so `switchyard status` does not pay for the control plane's
// imports, nor `switchyard pod` for them at all. Commander answers what no command does: the
// command list, --version, and unknown commands (with a suggestion).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { asSwitchyardError } from '../errors/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

/** What a command module exports: run with the arguments after its name, return the exit code. */
export type CommandModule = { run(args: string[]): Promise<number> };
/**
 * One command of `switchyard`: its line in the command list and its lazily loaded module.
 * `server`: a long-running process. One that fails to start exits at once with its line, because
 * a library may still hold a socket open after its failure (nats.js keeps the socket of a
 * connect that timed out on a peer that never answered), and a supervisor waits on the exit.
 */
export type CommandEntry = {
  readonly summary: string;
  readonly server?: true;
  readonly load: () => Promise<CommandModule>;
};
export type Commands = Readonly<Record<string, CommandEntry>>;

/** The package version, read from package.json next to the sources. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function program(commands: Commands): Command {
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
  for (const [name, c] of Object.entries(commands)) p.command(name).description(c.summary);
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

/** Runs `switchyard <argv>` over `commands`; resolves to the exit code. */
/**
 * `inProcess`: the caller is not the `switchyard` process itself (a test running the CLI in its
 * own process): a failed server command returns its exit code instead of ending the process.
 */
export async function dispatch(commands: Commands, argv: string[], inProcess = false): Promise<number> {
  exitQuietlyOnEpipe();
  const [name, ...rest] = argv;
  const cmd = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (cmd) {
    try {
      return await (await cmd.load()).run(rest);
    } catch (err) {
      const e = asSwitchyardError(err);
      process.stderr.write(`switchyard ${name}: ${e.message} [${e.code}]\n`);
      if (cmd.server && !inProcess) process.exit(exitCodeFor(e.code));
      return exitCodeFor(e.code);
    }
  }
  // `switchyard help status` is `switchyard status --help`.
  if (name === 'help' && rest[0] && Object.hasOwn(commands, rest[0]))
    return dispatch(commands, [rest[0], '--help']);
  const p = program(commands);
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
