// A small declarative checker for YAML documents: each field has a type, bounds and a default;
// walking a document collects every problem (never stopping at the first) with its path, and
// returns the value with defaults filled in. Unknown keys get a did-you-mean suggestion.
import type { Issue } from '../../kernel/errors/index.js';
import { parseDurationNs } from '../../kernel/runtime/duration.js';
import { didYouMean } from './did-you-mean.js';

export type Schema =
  | StringSchema
  | { readonly kind: 'int'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'number'; readonly min?: number; readonly max?: number; readonly above?: number }
  | { readonly kind: 'bool' }
  | { readonly kind: 'duration'; readonly positive?: boolean }
  | {
      readonly kind: 'list';
      readonly items: Schema;
      readonly minItems?: number;
      readonly maxItems?: number;
      readonly unique?: boolean;
    }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Field>> }
  | {
      readonly kind: 'map';
      readonly key: StringSchema;
      readonly values: Schema;
      readonly minEntries?: number;
      readonly maxEntries?: number;
    }
  | {
      readonly kind: 'custom';
      readonly check: (value: unknown, path: string, issues: Issue[]) => unknown;
      /** The value's structure for the published JSON Schema and the CRD (json-schema.ts). */
      readonly shape?: Schema;
      /** Or a JSON Schema fragment saying what `check` accepts (editors; the CRD keeps its `type`). */
      readonly json?: Readonly<Record<string, unknown>>;
    };

export interface StringSchema {
  readonly kind: 'string';
  readonly pattern?: RegExp;
  /** Says what the pattern means, for the error message. */
  readonly hint?: string;
  readonly oneOf?: readonly string[];
  readonly maxLength?: number;
}

export interface Field {
  readonly schema: Schema;
  readonly required?: boolean;
  readonly default?: unknown;
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const segment = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return base ? `${base}.${segment}` : segment;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const KIND_NAMES: Record<Schema['kind'], string> = {
  string: 'a string',
  int: 'an integer',
  number: 'a number',
  bool: 'true or false',
  duration: 'a duration like 250ms, 1s or 1m30s',
  list: 'a list',
  object: 'a mapping',
  map: 'a mapping',
  custom: 'a value',
};

function bounds(n: number, s: { min?: number; max?: number; above?: number }, path: string, out: Issue[]) {
  let ok = true;
  if (s.min !== undefined && n < s.min) {
    out.push({ path, message: `must be >= ${s.min}` });
    ok = false;
  }
  if (s.above !== undefined && n <= s.above) {
    out.push({ path, message: `must be > ${s.above}` });
    ok = false;
  }
  if (s.max !== undefined && n > s.max) {
    out.push({ path, message: `must be <= ${s.max}` });
    ok = false;
  }
  return ok;
}

function checkString(s: StringSchema, value: unknown, path: string, out: Issue[]): unknown {
  if (typeof value !== 'string') {
    out.push({ path, message: `must be ${KIND_NAMES.string}` });
    return undefined;
  }
  if (s.oneOf && !s.oneOf.includes(value)) {
    out.push({ path, message: `must be one of ${s.oneOf.join(', ')}${didYouMean(value, s.oneOf)}` });
    return undefined;
  }
  if (s.maxLength !== undefined && value.length > s.maxLength) {
    out.push({ path, message: `must be at most ${s.maxLength} characters` });
    return undefined;
  }
  if (s.pattern && !s.pattern.test(value)) {
    out.push({ path, message: `${JSON.stringify(value)} is not ${s.hint ?? `matching ${s.pattern}`}` });
    return undefined;
  }
  return value;
}

/** Check `value` against `schema`, appending problems to `out`; returns the normalized value. */
export function checkValue(schema: Schema, value: unknown, path: string, out: Issue[]): unknown {
  switch (schema.kind) {
    case 'string':
      return checkString(schema, value, path, out);
    case 'int':
    case 'number':
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (schema.kind === 'int' && !Number.isInteger(value))
      ) {
        out.push({ path, message: `must be ${KIND_NAMES[schema.kind]}` });
        return undefined;
      }
      return bounds(value, schema, path, out) ? value : undefined;
    case 'bool':
      if (typeof value !== 'boolean') {
        out.push({ path, message: `must be ${KIND_NAMES.bool}` });
        return undefined;
      }
      return value;
    case 'duration': {
      const ns = typeof value === 'string' ? parseDurationNs(value) : undefined;
      if (ns === undefined) {
        out.push({ path, message: `${JSON.stringify(value)} is not ${KIND_NAMES.duration}` });
        return undefined;
      }
      if (schema.positive && ns <= 0) {
        out.push({ path, message: 'must be longer than 0s' });
        return undefined;
      }
      return value;
    }
    case 'list':
      return checkList(schema, value, path, out);
    case 'object':
      return checkObject(schema.fields, value, path, out);
    case 'map':
      return checkMap(schema, value, path, out);
    case 'custom':
      return schema.check(value, path, out);
  }
}

function checkList(
  schema: Extract<Schema, { kind: 'list' }>,
  value: unknown,
  path: string,
  out: Issue[],
): unknown[] | undefined {
  if (!Array.isArray(value)) {
    out.push({ path, message: `must be ${KIND_NAMES.list}` });
    return undefined;
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    out.push({ path, message: `must have at least ${schema.minItems} item(s)` });
  }
  // Over the limit, only the first maxItems are looked at: the document is refused anyway, and
  // checking thousands of items would cost the event loop and bury the one problem that matters.
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    out.push({ path, message: `has ${value.length} items; at most ${schema.maxItems} are allowed` });
    value = value.slice(0, schema.maxItems);
  }
  const seen = new Set<string>();
  return (value as unknown[]).map((item, i) => {
    const p = joinPath(path, i);
    if (schema.unique) {
      const key = JSON.stringify(item);
      if (seen.has(key)) out.push({ path: p, message: `duplicate ${key}` });
      seen.add(key);
    }
    return checkValue(schema.items, item, p, out);
  });
}

/** Check a mapping against its declared fields; unknown keys are problems too. */
export function checkObject(
  fields: Readonly<Record<string, Field>>,
  value: unknown,
  path: string,
  out: Issue[],
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    out.push({ path, message: `must be ${KIND_NAMES.object}` });
    return undefined;
  }
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(fields, key)) {
      out.push({
        path: joinPath(path, key),
        message: `unknown field${didYouMean(key, Object.keys(fields))}`,
      });
    }
  }
  for (const [key, field] of Object.entries(fields)) {
    const raw = value[key];
    if (raw === undefined || raw === null) {
      if (field.required) out.push({ path: joinPath(path, key), message: 'is required' });
      else if (field.default !== undefined) result[key] = structuredClone(field.default);
      continue;
    }
    const checked = checkValue(field.schema, raw, joinPath(path, key), out);
    if (checked !== undefined) result[key] = checked;
  }
  return result;
}

function checkMap(
  schema: Extract<Schema, { kind: 'map' }>,
  value: unknown,
  path: string,
  out: Issue[],
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    out.push({ path, message: `must be ${KIND_NAMES.map}` });
    return undefined;
  }
  let keys = Object.keys(value);
  if (schema.minEntries !== undefined && keys.length < schema.minEntries) {
    out.push({
      path,
      message: `must have at least ${schema.minEntries} entr${schema.minEntries === 1 ? 'y' : 'ies'}`,
    });
  }
  if (schema.maxEntries !== undefined && keys.length > schema.maxEntries) {
    out.push({ path, message: `has ${keys.length} entries; at most ${schema.maxEntries} are allowed` });
    keys = keys.slice(0, schema.maxEntries);
  }
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const p = joinPath(path, key);
    const k = checkString(schema.key, key, p, out);
    const v = checkValue(schema.values, value[key], p, out);
    if (k !== undefined && v !== undefined) result[key] = v;
  }
  return result;
}
