// `switchyard certs ...`'s options: the built-in CA, bootstrap tokens, the CSR server and the agent.
import type { FlagSpecs } from '../../kernel/cli/flags.js';

const CA_DIR = {
  type: 'string',
  help: 'directory of the CA (ca.json, sealed keys, tokens/)',
  env: 'SWITCHYARD_CA_DIR',
  required: true,
} as const;
const KEK_FILE = {
  type: 'string',
  help: 'key-encryption key file (>= 32 random bytes); else $SWITCHYARD_PKI_KEK (a passphrase)',
  env: 'SWITCHYARD_PKI_KEK_FILE',
} as const;
const CERTS_HELP = { type: 'bool', short: 'h', help: 'show this help' } as const;

export const CERTS_CA_INIT_FLAGS = {
  'ca-dir': CA_DIR,
  'kek-file': { ...KEK_FILE, help: `${KEK_FILE.help}; created (32 random bytes) when missing` },
  'trust-domain': {
    type: 'string',
    help: 'SPIFFE trust domain',
    env: 'SWITCHYARD_TRUST_DOMAIN',
    default: 'switchyard.local',
  },
  'operator-chain': { type: 'string', help: "PEM file: the operator's issuing certificate up to its root" },
  'operator-key': { type: 'string', help: "PEM file: the operator's issuing private key" },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

/** `certs ca show|prepare|activate|rotate|drop`. */
export const CERTS_CA_FLAGS = {
  'ca-dir': CA_DIR,
  'kek-file': KEK_FILE,
  generation: { type: 'string', help: 'for drop: generation id or root SHA-256 fingerprint' },
  bundle: { type: 'bool', help: 'for show: print only the trust bundle (PEM)' },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

export const CERTS_TOKEN_FLAGS = {
  'ca-dir': { ...CA_DIR, required: false, help: `${CA_DIR.help}; not with --nats` },
  nats: {
    type: 'url-list',
    help: 'store the token in JetStream (control planes run with --ca-store jetstream), not in --ca-dir',
    env: 'SWITCHYARD_NATS_URL',
  },
  'store-prefix': {
    type: 'string',
    help: "prefix of the installation's buckets (as the control plane's --store-prefix)",
    env: 'SWITCHYARD_STORE_PREFIX',
    default: 'switchyard',
  },
  'nats-user': { type: 'string', help: 'NATS user', env: 'SWITCHYARD_NATS_USER' },
  'nats-password': { type: 'string', help: 'NATS password', env: 'SWITCHYARD_NATS_PASSWORD' },
  identity: { type: 'string', help: 'SPIFFE ID the token proves', required: true },
  ttl: { type: 'duration', help: 'how long the token stays redeemable', default: 3_600_000 },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

export const CERTS_ISSUE_FLAGS = {
  'ca-dir': CA_DIR,
  'kek-file': KEK_FILE,
  identity: { type: 'string', help: 'SPIFFE ID of the certificate', required: true },
  dir: {
    type: 'string',
    help: 'directory to write certificate.pem, private_key.pem, ca_certificate.pem',
    required: true,
  },
  ttl: { type: 'duration', help: 'certificate lifetime', default: 86_400_000 },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

export const CERTS_SERVE_FLAGS = {
  'ca-dir': CA_DIR,
  'kek-file': KEK_FILE,
  host: { type: 'string', help: 'address to listen on', default: '127.0.0.1' },
  port: { type: 'port', help: 'HTTPS port of the CSR endpoint', env: 'SWITCHYARD_CSR_PORT', default: 18443 },
  ttl: { type: 'duration', help: 'lifetime of workload certificates', default: 86_400_000 },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;

export const CERTS_AGENT_FLAGS = {
  identity: { type: 'string', help: 'SPIFFE ID to hold, spiffe://<td>/ns/<ns>/sa/<sa>', required: true },
  dir: { type: 'string', help: 'directory for the file_watcher files', required: true },
  server: {
    type: 'url',
    help: 'https URL of the CSR endpoint',
    env: 'SWITCHYARD_CSR_SERVER',
    required: true,
  },
  token: { type: 'string', help: 'one-time bootstrap token', env: 'SWITCHYARD_BOOTSTRAP_TOKEN' },
  'token-file': { type: 'string', help: 'file holding the bootstrap token (read when needed)' },
  'ca-file': { type: 'string', help: 'PEM roots that verify the server on first contact' },
  'server-id': {
    type: 'list',
    help: 'SPIFFE IDs or prefixes the server may present (default: control plane)',
  },
  'bundle-refresh': { type: 'duration', help: 'how often to fetch the trust bundle', default: 60_000 },
  once: { type: 'bool', help: 'exit once a valid certificate is in place' },
  help: CERTS_HELP,
} as const satisfies FlagSpecs;
