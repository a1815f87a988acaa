// The registry's Prometheus counters (docs/REGISTRY.md, "Metrics"): pushes by outcome and stage
// changes by target stage and outcome. Placement failures are counted by the placement runner
// (switchyard_placement_unplaced{reason}).
import { Counter, type Registry } from 'prom-client';

export type PushOutcome = 'created' | 'unchanged' | 'failed';
export type StageOutcome = 'applied' | 'refused' | 'failed';

export class RegistryMetrics {
  private readonly pushes: Counter<'result'>;
  private readonly stages: Counter<'stage' | 'result'>;

  constructor(registry: Registry) {
    this.pushes = new Counter({
      name: 'switchyard_registry_pushes_total',
      help: 'Model version pushes by result: created, unchanged (same digest again) or failed',
      labelNames: ['result'],
      registers: [registry],
    });
    this.stages = new Counter({
      name: 'switchyard_registry_stage_changes_total',
      help: 'Stage changes by target stage and result: applied, refused (promotion rules) or failed',
      labelNames: ['stage', 'result'],
      registers: [registry],
    });
  }

  push(result: PushOutcome): void {
    this.pushes.inc({ result });
  }

  stage(stage: string, result: StageOutcome): void {
    this.stages.inc({ stage, result });
  }
}
