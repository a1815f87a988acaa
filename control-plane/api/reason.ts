// The free-text reason of a change lands in the store, the audit trail and every `history`
// listing, so it is one bounded string; anything else is the caller's mistake (400).
import { OptionError } from '../../kernel/errors/index.js';

export const MAX_REASON_CHARS = 1024;

/** The reason as given, or undefined when absent; throws OptionError naming `where` otherwise. */
export function reasonParam(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new OptionError(
      `${where}: must be a string, not ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  if (value.length > MAX_REASON_CHARS)
    throw new OptionError(`${where}: ${value.length} characters, at most ${MAX_REASON_CHARS} allowed`);
  return value;
}
