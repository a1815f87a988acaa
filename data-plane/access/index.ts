// Per-model access enforcement in the pod (docs/ACCESS.md, "At the pods"): where the rules come
// from, and the enforcer both servers call. Entered through this file by the pod.
import type { Registry } from 'prom-client';
import type { AccessRulesMessage } from '../../kernel/contract/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { readAccessFile, watchAccessFile } from './access-file.js';
import { accessCounters } from './access-metrics.js';
import { AccessEnforcer } from './enforcer.js';

export { AccessEnforcer } from './enforcer.js';
export { AccessRefusedError, REFUSAL_REASONS, type RefusalReason } from './refusal.js';
export { subscribeAccessRules } from './subscriber.js';

/**
 * Where a pod's access rules come from: its control plane over NATS (nothing is admitted until
 * they arrive), a file of ModelRoutes (--access-file), or given directly (tests, benchmarks).
 * No source: the pod is open, as before access rules existed.
 */
export type PodAccessSource =
  | { readonly from: 'control-plane' }
  /** Re-read when it changes (polled every pollMs, default 1 s). */
  | { readonly from: 'file'; readonly path: string; readonly pollMs?: number }
  | { readonly from: 'rules'; readonly rules: AccessRulesMessage };

export async function podAccess(
  source: PodAccessSource | undefined,
  registry: Registry,
  log: Logger,
): Promise<AccessEnforcer | undefined> {
  if (!source) return undefined;
  const rules =
    source.from === 'file'
      ? await readAccessFile(source.path)
      : source.from === 'rules'
        ? source.rules
        : undefined;
  let enforcer: AccessEnforcer | undefined;
  const counters = accessCounters(registry, (m) => enforcer?.has(m) === true);
  enforcer = new AccessEnforcer(rules ? 'open' : 'pending', {
    allowed: counters.allowed,
    // Debug only (one line per refusal): the model name is the client's, quoted so that a
    // newline in it cannot start a line of its own; no credential is ever part of the line.
    refused: (model, reason) => {
      counters.refused(model, reason);
      log.debug(`access: refused ${JSON.stringify(model)}: ${reason}`);
    },
  });
  if (source.from === 'file') {
    const e = enforcer;
    e.onClose(watchAccessFile(source.path, (r) => e.setRules(r), log, source.pollMs));
  }
  if (rules) {
    enforcer.setRules(rules);
    log.info(`access: rules ${rules.version} for ${Object.keys(rules.models).length} model(s)`);
  } else log.info('access: admitting no inference until the control plane sends the access rules');
  return enforcer;
}
