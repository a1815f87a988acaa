// A pod connected to a control plane takes its access rules from switchyard.pod.<id>.access
// (kernel/contract/access-rules.ts). A message that does not check leaves the rules in force as
// they were (never opens a model) and says why, once per distinct problem.
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeAccessRules, podSubjects } from '../../kernel/contract/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { AccessEnforcer } from './enforcer.js';

export function subscribeAccessRules(
  nc: NatsConnection,
  podId: string,
  access: AccessEnforcer,
  log: Logger,
): void {
  const subject = podSubjects(podId).access;
  let lastProblem = '';
  nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) {
        log.warn(`access: cannot subscribe to ${subject}: ${err.message}`);
        return;
      }
      const { msg: rules, issues } = decodeAccessRules(msg.data);
      if (!rules) {
        const problem = JSON.stringify(issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`));
        if (problem !== lastProblem)
          log.warn(`access: rules refused, keeping version ${access.version || 'none'}: ${problem}`);
        lastProblem = problem;
        return;
      }
      if (rules.version === access.version && access.state === 'enforcing') return;
      access.setRules(rules);
      log.info(`access: rules version ${rules.version} for ${Object.keys(rules.models).length} model(s)`);
    },
  });
}
