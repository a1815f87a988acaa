// Named errors of the logging options, with a stable code of the error registry (docs/ERRORS.md).
import { SwitchyardError } from '../errors/errors.js';

/** --log-level or --log-format (or their environment variables) names no known value. */
export class LogOptionError extends SwitchyardError {
  constructor(
    readonly option: string,
    readonly value: string,
    readonly allowed: readonly string[],
  ) {
    super('SY_OPTION_INVALID', `${option}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
}
