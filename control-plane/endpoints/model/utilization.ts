// Utilization has one unit inside the control plane: a fraction of capacity in 0..1. Pods send
// percent (dataplane.proto's `cpu_percent`, `gpu_percent`) and operators write percent
// (`--overflow-enter 80`); each such figure is converted exactly once, where it enters
// (signals.ts for a heartbeat, ../options.ts for the flags). From there on the heartbeat, the
// tuner's knee, the overflow thresholds and the operators' view all carry `Utilization`, so a
// percent cannot reach them by mistake: a plain number does not type-check as one.
declare const unit: unique symbol;

/** A fraction of capacity, 0..1 (0.8 is 80 %). */
export type Utilization = number & { readonly [unit]: 'fraction 0..1' };

/** The one conversion from the percent pods and operators speak. */
export function utilizationFromPercent(percent: number): Utilization {
  return (percent / 100) as Utilization;
}

/** A figure that already is a fraction (defaults, the tuner's knee, tests): no conversion. */
export function utilization(fraction: number): Utilization {
  return fraction as Utilization;
}
