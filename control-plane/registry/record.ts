// One catalog record per model version (JSON in KV `<prefix>_models`): what was pushed, by whom,
// what it declares, where it may live, and what has happened to it since. Pure.
import { InternalError } from '../../kernel/errors/index.js';

export const STAGES = ['none', 'staging', 'canary', 'production', 'archived'] as const;
export type Stage = (typeof STAGES)[number];
/** The stages an operator can move a version to. */
export const TARGET_STAGES = STAGES.filter((s) => s !== 'none') as Exclude<Stage, 'none'>[];

export interface TensorIO {
  readonly name: string;
  readonly type: string;
  /** Symbolic dimensions are kept as their names. */
  readonly shape: readonly (number | string)[];
}

export interface Approval {
  readonly by: string;
  readonly stage: Stage;
  readonly at: string;
  readonly reason?: string;
}

export interface StageChange {
  readonly from: Stage;
  readonly to: Stage;
  readonly by: string;
  readonly at: string;
  readonly reason?: string;
}

export interface RegistryVersion {
  readonly name: string;
  readonly version: string;
  /** RBAC and promotion policies apply per namespace. */
  readonly namespace: string;
  readonly digest: string;
  readonly sizeBytes: number;
  readonly objectName: string;
  /** The artifact's AES-256-GCM data key, sealed with the KEK (label artifact:<name>:<version>). */
  readonly sealedDataKey: string;
  readonly inputs: readonly TensorIO[];
  readonly outputs: readonly TensorIO[];
  readonly labels: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
  /** Allowed regions; empty: anywhere. */
  readonly regions: readonly string[];
  readonly stage: Stage;
  readonly pushedBy: string;
  readonly pushedAt: string;
  readonly reason?: string;
  readonly configYaml?: string;
  readonly approvals: readonly Approval[];
  /** Set by the rollout controller when a canary of this version completed. */
  readonly canaryCompleted?: { readonly at: string; readonly by: string };
  readonly stageHistory: readonly StageChange[];
  /**
   * Set while the artifact is being written (the record is created first, so concurrent pushes
   * of other content conflict instead of overwriting it). Such a version is not handed out;
   * placers skip it.
   */
  readonly uploading?: boolean;
}

export function encodeVersion(r: RegistryVersion): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r));
}

export function decodeVersion(bytes: Uint8Array, key: string): RegistryVersion {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as RegistryVersion;
  } catch (err) {
    throw new InternalError(`catalog record ${key} is not JSON: ${(err as Error).message}`);
  }
}

/** What list and describe show: everything but the sealed data key. */
export function publicView(r: RegistryVersion): Omit<RegistryVersion, 'sealedDataKey'> {
  const { sealedDataKey: _, ...rest } = r;
  return rest;
}
