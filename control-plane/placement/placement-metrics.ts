// Placement on /metrics: the scaling signal per version (what HPA or KEDA can scale on) and the
// versions the placer could not place, by reason. Labels stay bounded: only versions some
// policy names, and a fixed set of reasons.
import { Gauge, type Registry } from 'prom-client';
import type { ScalingDecision } from './scaling.js';
import type { VersionPlacement } from './types.js';

export class PlacementMetrics {
  private readonly desired: Gauge;
  private readonly unplaced: Gauge;

  constructor(registry: Registry) {
    this.desired = new Gauge({
      name: 'switchyard_version_desired_replicas',
      help: 'Replicas the scaling signal asks for, per registry version a policy names (within its min and max)',
      labelNames: ['model', 'version'],
      registers: [registry],
    });
    this.unplaced = new Gauge({
      name: 'switchyard_placement_unplaced',
      help: 'Registry versions short of their desired replicas, by reason (GET /api/v1/placement has the reason per pod)',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  update(versions: readonly VersionPlacement[], scaling: ReadonlyMap<string, ScalingDecision>): void {
    this.desired.reset();
    for (const v of versions) {
      const d = scaling.get(v.key);
      if (d) this.desired.set({ model: v.model, version: v.version }, d.desired);
    }
    this.unplaced.reset();
    for (const v of versions) if (v.unplaced) this.unplaced.inc({ reason: v.unplaced.reason });
  }
}
