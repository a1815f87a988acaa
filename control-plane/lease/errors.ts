// Errors of singleton work: a write refused because its fencing token is stale, or because this
// replica does not hold the lease at all.
import { SwitchyardError } from '../../kernel/errors/errors.js';

export class LeaseFencedError extends SwitchyardError {
  constructor(
    readonly group: string,
    reason: string,
  ) {
    super('SY_LEASE_FENCED', `singleton write of ${group} refused: ${reason}`);
  }
}
