// Names that address a policy from outside a document (URL path segments, gRPC fields) obey the
// same rule as metadata.name and metadata.namespace, so a bad name is refused before it reaches
// the store, whose keys allow fewer characters than a URL does.
import { OptionError } from '../../kernel/errors/index.js';
import { DNS_NAME } from './model-route-schema.js';

/** Throws OptionError naming the field and the value when it is not a valid policy name. */
export function checkObjectName(what: 'namespace' | 'name', value: string): void {
  if (value.length <= DNS_NAME.maxLength && DNS_NAME.pattern.test(value)) return;
  const shown = value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}...` : JSON.stringify(value);
  throw new OptionError(`${what} ${shown} is not valid: use ${DNS_NAME.hint}`);
}
