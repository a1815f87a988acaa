// Each model's latency objective (spec.latencyObjective) in milliseconds, for the tuner. Pure.
import { durationMs } from '../../../kernel/runtime/duration.js';
import type { ModelRoute } from '../../policy/index.js';

export function latencyObjectives(routes: readonly ModelRoute[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of routes)
    if (r.spec.latencyObjective !== undefined) out.set(r.spec.model, durationMs(r.spec.latencyObjective));
  return out;
}
