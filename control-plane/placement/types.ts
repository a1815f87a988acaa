// What the placer reads and writes. Pure data: the runner builds these from ModelRoutes, the
// catalog and the pods' registrations and heartbeats (docs/PLACEMENT.md).
import type { Device } from '../policy/registry-ref.js';

/** A registry version some ModelRoute wants on the fleet. */
export interface DemandedVersion {
  /** `<name>.<version>`, the key of the catalog and placement records. */
  readonly key: string;
  readonly model: string;
  readonly version: string;
  readonly min: number;
  readonly max: number;
  /** The scaling signal's wish (scaling.ts); the placer clamps it into [min, max]. */
  readonly desired: number;
  readonly device: Device;
  /** Allowed regions; empty: anywhere. */
  readonly regions: readonly string[];
  /** Artifact size, for the memory estimate before any pod measured the loaded session. */
  readonly sizeBytes: number;
}

/** A version loaded on a pod as its heartbeats report it. */
export interface LoadedVersion {
  readonly ready: boolean;
  /** Measured memory of the loaded session; 0 when not measured yet. */
  readonly memoryBytes: number;
}

/** A pod started with --managed, as its registration and last heartbeat describe it. */
export interface ManagedPod {
  readonly podId: string;
  readonly region: string;
  readonly zone: string;
  readonly device: 'gpu' | 'cpu';
  /** What loaded versions may fill; undefined when the pod gave no limit. */
  readonly memoryLimitBytes: number | undefined;
  /**
   * Overcommit (the pod's --overcommit): what it is assigned may reach the limit plus this
   * percent; the pod keeps what is loaded within the limit. 0 or absent: off.
   */
  readonly overcommitPercent?: number;
  /** Busiest of CPU and GPU, 0..1. Breaks ties: the idler pod gets the next replica. */
  readonly load: number;
  readonly draining: boolean;
  /** Keyed `<name>.<version>`: every version it holds, managed or from its own repository. */
  readonly loaded: ReadonlyMap<string, LoadedVersion>;
}

export interface PlacementInput {
  readonly versions: readonly DemandedVersion[];
  readonly pods: readonly ManagedPod[];
  /** The assignments in force: podId -> version keys. */
  readonly current: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A short, bounded word for the metric's label; `message` and `pods` carry the detail. */
export type UnplacedReason =
  | 'not-in-registry'
  | 'no-managed-pods'
  | 'too-few-pods'
  | 'region'
  | 'device'
  | 'memory'
  | 'draining'
  | 'mixed';

export interface VersionPlacement {
  readonly key: string;
  readonly model: string;
  readonly version: string;
  readonly desiredReplicas: number;
  readonly min: number;
  readonly max: number;
  /** Pods that should hold it, sorted. */
  readonly assigned: readonly string[];
  /** Of those, the pods that report it READY (in EDS). */
  readonly ready: readonly string[];
  readonly unplaced?: {
    readonly reason: UnplacedReason;
    readonly missing: number;
    readonly message: string;
    /** Why each pod that does not hold it could not take it. */
    readonly pods: Readonly<Record<string, string>>;
  };
}

export interface PlacementResult {
  /** podId -> sorted version keys, for every managed pod (an empty list unloads everything). */
  readonly assignments: ReadonlyMap<string, readonly string[]>;
  readonly versions: readonly VersionPlacement[];
}

export function versionKey(model: string, version: string): string {
  return `${model}.${version}`;
}
