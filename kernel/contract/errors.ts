// The contract's one error: a pod id that cannot be a NATS subject token.
import { SwitchyardError } from '../errors/index.js';

export class PodIdError extends SwitchyardError {
  constructor(
    readonly podId: string,
    pattern: RegExp,
  ) {
    super('SY_POD_ID_INVALID', `pod id ${JSON.stringify(podId)} must match ${pattern}`);
  }
}
