// The shared start of every admin-API command: parse its flags, answer --help, resolve the
// connection and the output format.

import { type FlagSpecs, flagsHelp, type ParsedFlags, parseFlags } from '../../kernel/cli/flags.js';
import { type Connection, resolveConnection } from './connection.js';
import type { ADMIN_CLIENT_FLAGS } from './options.js';
import { type OutputFormat, outputFormat } from './output.js';

export interface ClientCall<S extends FlagSpecs> {
  readonly flags: ParsedFlags<S>;
  readonly conn: Connection;
  readonly format: OutputFormat;
}

/** Returns undefined after printing help. */
export function startClientCommand<S extends typeof ADMIN_CLIENT_FLAGS & FlagSpecs>(
  specs: S,
  usage: string,
  argv: string[],
): ClientCall<S> | undefined {
  const flags = parseFlags(specs, argv);
  if (flags.help) {
    process.stdout.write(flagsHelp(specs, usage));
    return undefined;
  }
  // Every spec here extends ADMIN_CLIENT_FLAGS, so these fields have its types.
  const common = flags as unknown as ParsedFlags<typeof ADMIN_CLIENT_FLAGS>;
  return { flags, conn: resolveConnection(common), format: outputFormat(common.output) };
}
