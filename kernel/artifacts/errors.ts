// Named errors of the artifact codec (codes in kernel/errors/codes.ts, documented in docs/ERRORS.md).
import { SwitchyardError } from '../errors/errors.js';

/** A sealed artifact failed authentication or is malformed: wrong data key, or bytes changed. */
export class ArtifactIntegrityError extends SwitchyardError {
  constructor(reason: string) {
    super('SY_ARTIFACT_INTEGRITY', `model artifact failed its integrity check: ${reason}`);
  }
}
