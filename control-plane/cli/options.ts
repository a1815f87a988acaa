// Every command's options, in one place. Defaults follow DESIGN.md (ports 18000/18080).
import type { FlagSpecs } from './flags.js';

export const DEFAULT_XDS_PORT = 18000;
export const DEFAULT_ADMIN_PORT = 18080;

export const CONTROL_PLANE_FLAGS = {
  'policy-dir': {
    type: 'string',
    help: 'directory of ModelRoute YAML files, watched for changes',
    env: 'SWITCHYARD_POLICY_DIR',
  },
  nats: { type: 'url', help: 'NATS server URL for state and pod signals', env: 'SWITCHYARD_NATS_URL' },
  'xds-port': { type: 'port', help: 'ADS gRPC port', env: 'SWITCHYARD_XDS_PORT', default: DEFAULT_XDS_PORT },
  'admin-port': {
    type: 'port',
    help: 'admin HTTP port',
    env: 'SWITCHYARD_ADMIN_PORT',
    default: DEFAULT_ADMIN_PORT,
  },
  host: { type: 'string', help: 'address to listen on', env: 'SWITCHYARD_HOST', default: '127.0.0.1' },
  'debounce-quiet': { type: 'duration', help: 'quiet time before a push', default: 100 },
  'debounce-max': { type: 'duration', help: 'longest a push waits during a burst', default: 10_000 },
  help: { type: 'bool', short: 'h', help: 'show this help' },
} as const satisfies FlagSpecs;

/** Flags shared by every command that talks to a running control plane's admin API. */
export const ADMIN_CLIENT_FLAGS = {
  server: {
    type: 'url',
    help: 'admin API base URL',
    env: 'SWITCHYARD_SERVER',
    default: `http://127.0.0.1:${DEFAULT_ADMIN_PORT}`,
  },
  output: { type: 'string', short: 'o', help: 'output format: table, json or yaml', default: 'table' },
  help: { type: 'bool', short: 'h', help: 'show this help' },
} as const satisfies FlagSpecs;
