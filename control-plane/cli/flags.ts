// A small typed layer over node:util parseArgs: every option has a type, a default, an optional
// environment variable, and one help line. Commands declare their options in options.ts, the
// one place where flags are parsed.
import { parseArgs } from 'node:util';
import { OptionError } from '../errors/index.js';

export type FlagType = 'string' | 'int' | 'port' | 'bool' | 'url' | 'duration' | 'list';

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
    : S['type'] extends 'list'
      ? string[]
      : string;

export type ParsedFlags<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends { default: unknown } | { required: true } | { type: 'bool' | 'list' }
    ? ValueOf<S[K]>
    : ValueOf<S[K]> | undefined;
} & { _: string[] };

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `100ms`, `1.5s`, `2m`, `1h` to milliseconds. */
export function parseDurationMs(text: string, where: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new OptionError(`${where}: ${JSON.stringify(text)} is not a duration (like 100ms, 1s, 2m)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

function convert(name: string, spec: FlagSpec, raw: string | boolean | string[], from: string): unknown {
  const where = `${from} ${name}`;
  switch (spec.type) {
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (/^(1|true|yes|on)$/i.test(String(raw))) return true;
      if (/^(0|false|no|off)$/i.test(String(raw))) return false;
      throw new OptionError(`${where}: ${JSON.stringify(raw)} is not a boolean`);
    case 'int':
    case 'port': {
      const n = Number(raw);
      if (!Number.isInteger(n) || (spec.type === 'port' && (n < 0 || n > 65535)))
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
    case 'list':
      return (Array.isArray(raw) ? raw : [String(raw)]).flatMap((v) => v.split(',')).filter(Boolean);
    case 'string':
      return String(raw);
  }
}

/** Parse argv against specs: flags win over environment, environment over defaults. */
export function parseFlags<S extends FlagSpecs>(
  specs: S,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ParsedFlags<S> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = {
      type: spec.type === 'bool' ? 'boolean' : 'string',
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === 'list' ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new OptionError((err as Error).message);
  }
  const out: Record<string, unknown> = { _: parsed.positionals };
  for (const [name, spec] of Object.entries(specs)) {
    const fromFlag = parsed.values[name];
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromFlag !== undefined) out[name] = convert(name, spec, fromFlag as string, '--');
    else if (fromEnv !== undefined && fromEnv !== '') out[name] = convert(spec.env!, spec, fromEnv, '$');
    else if (spec.default !== undefined) out[name] = spec.default;
    else if (spec.type === 'bool') out[name] = false;
    else if (spec.type === 'list') out[name] = [];
    else if (spec.required) throw new OptionError(`--${name} is required`);
  }
  return out as ParsedFlags<S>;
}

export function flagsHelp(specs: FlagSpecs): string {
  return Object.entries(specs)
    .map(([name, s]) => {
      const def = s.default !== undefined ? ` (default ${JSON.stringify(s.default)})` : '';
      const env = s.env ? ` [$${s.env}]` : '';
      return `  --${name.padEnd(20)} ${s.help}${def}${env}`;
    })
    .join('\n');
}
