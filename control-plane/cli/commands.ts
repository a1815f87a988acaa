// The control plane's `switchyard` commands, each in its own module under commands/, loaded
// only when run. The launcher (switchyard.mjs) adds the data plane's `pod` beside them.
import type { Commands } from '../../kernel/cli/dispatch.js';

export const CONTROL_PLANE_COMMANDS = {
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
  status: {
    summary: 'show connected proxies and their sync state',
    load: () => import('./commands/status.js'),
  },
  apply: {
    summary: 'create or update policies from files (--wait: until the proxies ACK)',
    load: () => import('./commands/apply.js'),
  },
  get: { summary: 'list policies, or show one', load: () => import('./commands/get.js') },
  diff: { summary: 'show what applying files would change', load: () => import('./commands/diff.js') },
  delete: { summary: 'delete a policy', load: () => import('./commands/delete.js') },
  history: { summary: "list a policy's revisions", load: () => import('./commands/history.js') },
  rollback: {
    summary: 'restore an earlier revision of a policy (default: the previous one)',
    load: () => import('./commands/rollback.js'),
  },
  rollout: {
    summary: 'progressive delivery: start, status [--watch], promote, abort, pause, resume',
    load: () => import('./commands/rollout.js'),
  },
  endpoints: {
    summary: 'list endpoints with health, load and weight',
    load: () => import('./commands/endpoints.js'),
  },
  audit: {
    summary: 'show (log) or check (verify) the audit trail',
    load: () => import('./commands/audit.js'),
  },
  models: {
    summary: 'the model registry: push, list, describe, stage, approve, delete versions',
    load: () => import('./commands/models.js'),
  },
  wait: {
    summary: 'wait until every connected proxy using a policy has ACKed its revision',
    load: () => import('./commands/wait.js'),
  },
  'proxy-config': {
    summary: 'show what the live server sends one node now (secrets redacted)',
    load: () => import('./commands/proxy-config.js'),
  },
  analyze: {
    summary: 'cross-policy checks of files (-f) and the live store, each finding with a fix',
    load: () => import('./commands/analyze.js'),
  },
  apikey: {
    summary: 'generate an API key and its hash for the auth config',
    load: () => import('./commands/apikey.js'),
  },
} as const satisfies Commands;
