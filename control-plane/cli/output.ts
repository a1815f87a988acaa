// -o table|json|yaml for every read command.
import { stringify } from 'yaml';
import { OptionError } from '../../kernel/errors/index.js';

export type OutputFormat = 'table' | 'json' | 'yaml';

export function outputFormat(value: string): OutputFormat {
  if (value === 'table' || value === 'json' || value === 'yaml') return value;
  throw new OptionError(`--output: ${JSON.stringify(value)} is not one of table, json, yaml`);
}

export function printData(format: Exclude<OutputFormat, 'table'>, data: unknown): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data));
}
