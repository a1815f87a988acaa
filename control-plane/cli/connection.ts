// Where the CLI sends requests and with which credentials: flags, then the environment (both via
// parseFlags), then the config file, then defaults.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ParsedFlags } from '../../kernel/cli/flags.js';
import { OptionError } from '../../kernel/errors/index.js';
import { type ADMIN_CLIENT_FLAGS, DEFAULT_ADMIN_PORT } from './options.js';

export interface Connection {
  readonly server: string;
  readonly token?: string;
  readonly apiKey?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly namespace: string;
}

interface ConfigFile {
  server?: string;
  token?: string;
  apiKey?: string;
  ca?: string;
  cert?: string;
  key?: string;
  namespace?: string;
}

const CONFIG_KEYS = ['server', 'token', 'apiKey', 'ca', 'cert', 'key', 'namespace'];

function readConfig(path: string | undefined): ConfigFile {
  const file = path ?? join(homedir(), '.config', 'switchyard', 'config.yaml');
  if (!existsSync(file)) {
    if (path) throw new OptionError(`--config: ${path} does not exist`);
    return {};
  }
  const value = parse(readFileSync(file, 'utf8')) as unknown;
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new OptionError(`${file}: not a mapping`);
  for (const k of Object.keys(value))
    if (!CONFIG_KEYS.includes(k))
      throw new OptionError(`${file}: unknown key ${JSON.stringify(k)} (known: ${CONFIG_KEYS.join(', ')})`);
  return value as ConfigFile;
}

export function resolveConnection(flags: ParsedFlags<typeof ADMIN_CLIENT_FLAGS>): Connection {
  const cfg = readConfig(flags.config);
  const pick = <T>(...vs: Array<T | undefined>) => vs.find((v) => v !== undefined);
  const c = {
    server: pick(flags.server, cfg.server) ?? `http://127.0.0.1:${DEFAULT_ADMIN_PORT}`,
    token: pick(flags.token, cfg.token),
    apiKey: pick(flags['api-key'], cfg.apiKey),
    ca: pick(flags.ca, cfg.ca),
    cert: pick(flags.cert, cfg.cert),
    key: pick(flags.key, cfg.key),
    namespace: pick(flags.namespace, cfg.namespace) ?? 'default',
  };
  if (!c.cert !== !c.key) throw new OptionError('--cert and --key go together');
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as unknown as Connection;
}
