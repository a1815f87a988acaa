// Named errors of the model registry (codes in kernel/errors/codes.ts, docs/ERRORS.md).
import { SwitchyardError } from '../../kernel/errors/index.js';

/** ONNX Runtime cannot load the pushed file, or it is over the size bound: nothing was published. */
export class ArtifactInvalidError extends SwitchyardError {
  constructor(what: string, reason: string) {
    super('SY_ARTIFACT_INVALID', `${what}: ${reason}`);
  }
}

/** Versions are immutable: the version exists with another digest. */
export class VersionConflictError extends SwitchyardError {
  constructor(
    readonly ref: string,
    readonly existingDigest: string,
    readonly pushedDigest: string,
  ) {
    super(
      'SY_VERSION_CONFLICT',
      `${ref} already exists with digest ${existingDigest}; the pushed file has ${pushedDigest} (push it as a new version)`,
    );
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), existingDigest: this.existingDigest, pushedDigest: this.pushedDigest };
  }
}

/** A stage change the namespace's promotion policy does not allow; every failing rule listed. */
export class PromotionRefusedError extends SwitchyardError {
  constructor(
    readonly ref: string,
    readonly stage: string,
    readonly failures: readonly string[],
  ) {
    super('SY_PROMOTION_REFUSED', `${ref} may not move to ${stage}: ${failures.join('; ')}`);
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), failures: this.failures };
  }
}

/** An artifact asked for from a region outside the version's allowed regions. */
export class ResidencyRefusedError extends SwitchyardError {
  constructor(ref: string, region: string | undefined, allowed: readonly string[]) {
    super(
      'SY_RESIDENCY_REFUSED',
      `${ref} may only be stored and loaded in ${allowed.join(', ')}; refused for region ${region ?? '(none given)'}`,
    );
  }
}
