// The pod's access counters: switchyard_pod_access_requests_total{model} (admitted by a model's
// rules) and switchyard_pod_access_refusals_total{model,reason}. Reasons are a fixed set
// (refusal.ts); models are those with rules, any other name is `_unknown` (names come from
// request URLs); tenants are never a label (they are unbounded).
import { Counter, type Registry } from 'prom-client';
import { UNKNOWN_LABEL } from '../metrics/pod-metrics.js';
import type { AccessCounters } from './enforcer.js';
import type { RefusalReason } from './refusal.js';

export function accessCounters(registry: Registry, known: (model: string) => boolean): AccessCounters {
  const allowed = new Counter({
    name: 'switchyard_pod_access_allowed_total',
    help: "Inference calls admitted by a model's access rules",
    labelNames: ['model'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'switchyard_pod_access_refusals_total',
    help: 'Inference calls refused by access enforcement, by model and reason',
    labelNames: ['model', 'reason'],
    registers: [registry],
  });
  const label = (m: string) => (known(m) ? m : UNKNOWN_LABEL);
  return {
    allowed: (model) => allowed.inc({ model: label(model) }),
    refused: (model: string, reason: RefusalReason) => refused.inc({ model: label(model), reason }),
  };
}
