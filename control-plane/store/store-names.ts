// Every JetStream name one installation owns, derived from one prefix, so two installations can
// share a NATS without seeing each other's policies, idempotency keys or audit trail. The default
// prefix gives the names releases before the prefix existed used, so upgrades find their data.
// Pod signal subjects are core NATS and not prefixed: separate installations on one NATS keep
// their pods apart with accounts (docs/OPERATIONS.md, "Several installations on one NATS").
import { OptionError } from '../../kernel/errors/index.js';

export const DEFAULT_STORE_PREFIX = 'switchyard';

export interface StoreNames {
  readonly prefix: string;
  readonly policyBucket: string;
  readonly idempotencyBucket: string;
  readonly auditStream: string;
  readonly auditSubject: string;
  /** Any further bucket this installation owns: `<prefix>_<name>`. */
  bucket(name: string): string;
}

/**
 * Bucket and stream names allow letters, digits, `-` and `_`; the prefix is also a subject token,
 * so `.`, `*`, `>` and spaces are refused with the offending value named.
 */
export function storeNames(prefix: string = DEFAULT_STORE_PREFIX): StoreNames {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(prefix))
    throw new OptionError(
      `--store-prefix: ${JSON.stringify(prefix)} must be 1-32 letters, digits, "-" or "_" (it names KV buckets, a stream and a subject)`,
    );
  const bucket = (name: string) => `${prefix}_${name}`;
  return {
    prefix,
    policyBucket: bucket('policies'),
    idempotencyBucket: bucket('idempotency'),
    auditStream: `${prefix.toUpperCase()}_AUDIT`,
    auditSubject: `${prefix}.audit.events`,
    bucket,
  };
}
