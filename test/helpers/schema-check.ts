// A checker for the JSON Schema keywords deploy/'s generated schemas use, in two modes: `crd`
// behaves as the Kubernetes API server does with a structural openAPIV3Schema under strict field
// validation (kubectl's default: unknown fields are refused; x-kubernetes-preserve-unknown-fields
// keeps a value unchecked), `json-schema` as draft 2020-12. Only for tests of those files.
type Json = Record<string, unknown>;

function typeOk(type: unknown, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return true;
  }
}

export function schemaProblems(
  schema: Json,
  value: unknown,
  mode: 'crd' | 'json-schema',
  path = '',
): string[] {
  const out: string[] = [];
  const at = path || '(root)';
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && schema.type === undefined) return out;
  if ('const' in schema && schema.const !== value) out.push(`${at}: must be ${JSON.stringify(schema.const)}`);
  if (schema.type !== undefined && !typeOk(schema.type, value)) return [`${at}: must be ${schema.type}`];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const alts = schema[key] as Json[] | undefined;
    if (!alts) continue;
    const passing = alts.filter((a) => schemaProblems(a, value, mode, path).length === 0).length;
    if (key === 'anyOf' ? passing === 0 : passing !== 1)
      out.push(`${at}: matches ${passing} of its ${key} alternatives`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    out.push(`${at}: not one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) out.push(`${at}: too long`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) out.push(`${at}: too short`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      out.push(`${at}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    const min = schema.minimum as number | undefined;
    const excl = schema.exclusiveMinimum;
    if (min !== undefined && (excl === true ? value <= min : value < min))
      out.push(`${at}: below its minimum`);
    if (typeof excl === 'number' && value <= excl) out.push(`${at}: not above ${excl}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) out.push(`${at}: above its maximum`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      out.push(`${at}: too few items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      out.push(`${at}: too many items`);
    const unique = schema.uniqueItems === true || schema['x-kubernetes-list-type'] === 'set';
    if (unique && new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
      out.push(`${at}: duplicate items`);
    if (schema.items)
      for (const [i, v] of value.entries())
        out.push(...schemaProblems(schema.items as Json, v, mode, `${path}[${i}]`));
  }
  if (typeOk('object', value) && (schema.type === 'object' || schema.properties)) {
    const obj = value as Json;
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const r of (schema.required ?? []) as string[])
      if (!(r in obj)) out.push(`${path ? `${path}.` : ''}${r}: is required`);
    const keys = Object.keys(obj);
    if (typeof schema.minProperties === 'number' && keys.length < schema.minProperties)
      out.push(`${at}: too few entries`);
    if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties)
      out.push(`${at}: too many entries`);
    for (const k of keys) {
      const p = path ? `${path}.${k}` : k;
      if (props[k]) out.push(...schemaProblems(props[k]!, obj[k], mode, p));
      else if (typeof schema.additionalProperties === 'object')
        out.push(...schemaProblems(schema.additionalProperties as Json, obj[k], mode, p));
      else if (schema.additionalProperties === false || (mode === 'crd' && schema.properties))
        out.push(`${p}: unknown field`);
      if (schema.propertyNames)
        out.push(...schemaProblems(schema.propertyNames as Json, k, mode, `${p} (name)`));
    }
  }
  return out;
}
