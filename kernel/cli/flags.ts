// A small typed layer over commander, for both programs' commands: every option has a type, a
// default, an optional environment variable, and one help line. Each program declares its
// commands' options in its cli/options.ts, the one place where its flags are parsed. Commander
// does the syntax (known options, values present, repeated lists, suggestions for misspelt
// options) and the help layout; the types, the environment, the defaults and the required check
// are ours, so every error names the flag or the variable it came from.
import { Command, CommanderError, Option } from 'commander';
import { OptionError } from '../errors/index.js';
import { parseDurationNs } from '../runtime/duration.js';

export type FlagType = 'string' | 'int' | 'port' | 'bool' | 'url' | 'url-list' | 'duration' | 'list';

export interface FlagSpec {
  readonly type: FlagType;
  readonly help: string;
  readonly env?: string;
  readonly short?: string;
  readonly default?: string | number | boolean | string[];
  readonly required?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'int' | 'port' | 'duration'
  ? number
  : S['type'] extends 'bool'
    ? boolean
    : S['type'] extends 'list' | 'url-list'
      ? string[]
      : string;

export type ParsedFlags<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends { default: unknown } | { required: true } | { type: 'bool' | 'list' }
    ? ValueOf<S[K]>
    : ValueOf<S[K]> | undefined;
} & { _: string[] };

/** What duration flags accept, as policies write durations (kernel/runtime/duration.ts). */
export const DURATION_SYNTAX = 'a duration: 250ms, 1s, 1m30s, 1.5h';

/** `100ms`, `1.5s`, `1m30s`, `1h` to milliseconds: the spelling policies use. */
export function parseDurationMs(text: string, where: string): number {
  const ns = parseDurationNs(text.trim());
  if (ns === undefined) throw new OptionError(`${where}: ${JSON.stringify(text)} is not ${DURATION_SYNTAX}`);
  return ns / 1e6;
}

/** Milliseconds as the shortest duration text that parses back to them (help defaults). */
export function formatDurationMs(ms: number): string {
  const units: Array<[string, number]> = [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [u, size] of units) if (ms > 0 && ms % size === 0) return `${ms / size}${u}`;
  return `${ms}ms`;
}

/**
 * A seed list as NATS tools take it ("nats://a:4222,nats://b:4222", or the flag repeated): every
 * entry must be a URL, and the error names the entry that is not.
 */
function urlList(values: readonly string[], where: string): string[] {
  const out = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  if (!out.some(Boolean)) throw new OptionError(`${where}: no URL given`);
  out.forEach((u, i) => {
    try {
      if (!u) throw new Error('empty');
      new URL(u);
    } catch {
      throw new OptionError(
        `${where}: entry ${i + 1} of the list, ${JSON.stringify(u)}, is not a URL (a seed list is comma-separated URLs)`,
      );
    }
  });
  return out;
}

function convert(name: string, spec: FlagSpec, raw: string | boolean | string[], from: string): unknown {
  const where = `${from}${name}`;
  switch (spec.type) {
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (/^(1|true|yes|on)$/i.test(String(raw))) return true;
      if (/^(0|false|no|off)$/i.test(String(raw))) return false;
      throw new OptionError(`${where}: ${JSON.stringify(raw)} is not a boolean`);
    case 'int':
    case 'port': {
      const n = Number(raw);
      if (String(raw).trim() === '' || !Number.isInteger(n) || (spec.type === 'port' && (n < 0 || n > 65535)))
        throw new OptionError(
          `${where}: ${JSON.stringify(raw)} is not ${spec.type === 'port' ? 'a port' : 'an integer'}`,
        );
      return n;
    }
    case 'duration':
      return parseDurationMs(String(raw), where);
    case 'url':
      try {
        new URL(String(raw));
      } catch {
        throw new OptionError(`${where}: ${JSON.stringify(raw)} is not a URL`);
      }
      return String(raw);
    case 'url-list':
      return urlList(Array.isArray(raw) ? raw : [String(raw)], where);
    case 'list':
      return (Array.isArray(raw) ? raw : [String(raw)]).flatMap((v) => v.split(',')).filter(Boolean);
    case 'string':
      return String(raw);
  }
}

const PLACEHOLDER: Record<FlagType, string> = {
  string: '<value>',
  int: '<n>',
  port: '<port>',
  bool: '',
  url: '<url>',
  'url-list': '<url[,url...]>',
  duration: '<duration>',
  list: '<value>',
};

function describe(spec: FlagSpec): string {
  const parts = [spec.help];
  if (spec.type === 'duration') parts.push(`(${DURATION_SYNTAX})`);
  if (spec.type === 'list') parts.push('(repeatable, or comma-separated)');
  if (spec.type === 'url-list')
    parts.push('(seed list: comma-separated or repeated; any one reachable suffices)');
  if (spec.required) parts.push('(required)');
  if (spec.default !== undefined) {
    const d =
      spec.type === 'duration' && typeof spec.default === 'number'
        ? formatDurationMs(spec.default)
        : JSON.stringify(spec.default);
    parts.push(`(default ${d})`);
  }
  if (spec.env) parts.push(`[$${spec.env}]`);
  return parts.join(' ');
}

/**
 * A commander command for these specs. `synopsis` is the usage line after "switchyard"
 * (`apply -f FILE|DIR [options]`); `summary` says what the command does.
 */
export function commandFor(specs: FlagSpecs, synopsis = '[options]', summary?: string): Command {
  const cmd = new Command('switchyard')
    .usage(synopsis.replace(/^switchyard /, ''))
    .helpOption(false)
    .argument('[args...]')
    .allowExcessArguments(true)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  if (summary) cmd.description(summary);
  for (const [name, spec] of Object.entries(specs)) {
    const flags = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'bool' ? '' : ` ${PLACEHOLDER[spec.type]}`}`;
    const opt = new Option(flags, describe(spec));
    if (spec.type === 'list' || spec.type === 'url-list')
      opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    cmd.addOption(opt);
  }
  return cmd;
}

/** The help screen of a command: usage, summary, every option with its unit, default and variable. */
export function flagsHelp(specs: FlagSpecs, synopsis?: string, summary?: string): string {
  return commandFor(specs, synopsis, summary).helpInformation();
}

/** One line from commander's error ("error: unknown option '--x'\n(Did you mean --y?)"). */
function commanderMessage(err: CommanderError): string {
  return err.message
    .replace(/^error: /, '')
    .split('\n')
    .filter(Boolean)
    .join(' ');
}

/**
 * Parse argv against specs: flags win over environment, environment over defaults. When
 * `--help` is given the result has `help: true` and the required flags are not checked, so help
 * works whatever else is missing.
 */
export function parseFlags<S extends FlagSpecs>(
  specs: S,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedFlags<S> {
  const cmd = commandFor(specs);
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new OptionError(commanderMessage(err));
    throw err;
  }
  const values = cmd.opts();
  const attribute = new Map(cmd.options.map((o) => [o.long?.slice(2) ?? '', o.attributeName()]));
  const helpAsked = specs.help !== undefined && values[attribute.get('help')!] === true;
  const out: Record<string, unknown> = { _: cmd.args };
  for (const [name, spec] of Object.entries(specs)) {
    const fromFlag = values[attribute.get(name)!] as string | boolean | string[] | undefined;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromFlag !== undefined) out[name] = convert(name, spec, fromFlag, '--');
    else if (fromEnv !== undefined && fromEnv !== '') out[name] = convert(spec.env!, spec, fromEnv, '$');
    else if (spec.default !== undefined) out[name] = spec.default;
    else if (spec.type === 'bool') out[name] = false;
    else if (spec.type === 'list') out[name] = [];
    else if (spec.required && !helpAsked) throw new OptionError(`--${name} is required`);
  }
  return out as ParsedFlags<S>;
}
