// The ModelRoute schema the CLI and the API validate with (model-route-schema.ts), written out as
// a JSON Schema (draft 2020-12, for editors) and as a Kubernetes structural openAPIV3Schema (the
// ModelRoute CRD in deploy/). One source, so the three never disagree on a field; what only code
// can check (cross-field rules, RE2 program size) stays in the validator, and deploy/README.md
// says so. Pure: deploy/gen-schemas.ts writes the files, a test keeps them current.
import { MODEL_ROUTE_FIELDS } from './model-route-schema.js';
import type { Field, Schema } from './schema.js';
import { API_VERSION, KIND } from './types.js';

export type SchemaMode = 'json-schema' | 'crd';
type Json = Record<string, unknown>;

/** The duration spelling of kernel/runtime/duration.ts, as a pattern. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|us|h|m|s))+$';

/** A JSON Schema fragment of a custom check, narrowed to what a structural schema allows. */
function customForCrd(json: Json): Json {
  // String-or-object and number-or-string values have no structural type: the API server keeps
  // them as written and the control plane's validator checks them on apply.
  if (typeof json.type !== 'string') return { 'x-kubernetes-preserve-unknown-fields': true };
  // A typed value keeps its type and bounds; alternatives of formats are left to the validator.
  const { anyOf: _a, oneOf: _o, format: _f, ...rest } = json;
  return rest;
}

function objectSchema(fields: Readonly<Record<string, Field>>, mode: SchemaMode): Json {
  const properties: Json = {};
  const required: string[] = [];
  for (const [key, field] of Object.entries(fields)) {
    const s = convert(field.schema, mode);
    if (field.default !== undefined) s.default = field.default;
    properties[key] = s;
    if (field.required) required.push(key);
  }
  return {
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    // A structural schema may not combine properties with additionalProperties; unknown fields
    // are refused there by the API server's strict field validation instead.
    ...(mode === 'json-schema' ? { additionalProperties: false } : {}),
  };
}

function convert(schema: Schema, mode: SchemaMode): Json {
  switch (schema.kind) {
    case 'string':
      return {
        type: 'string',
        ...(schema.oneOf ? { enum: [...schema.oneOf] } : {}),
        ...(schema.maxLength !== undefined ? { maxLength: schema.maxLength } : {}),
        ...(schema.pattern ? { pattern: schema.pattern.source } : {}),
      };
    case 'int':
    case 'number': {
      const out: Json = { type: schema.kind === 'int' ? 'integer' : 'number' };
      if (schema.min !== undefined) out.minimum = schema.min;
      if (schema.max !== undefined) out.maximum = schema.max;
      if (schema.kind === 'number' && schema.above !== undefined) {
        // OpenAPI 3.0 (CRDs) spells an exclusive bound as a flag on minimum.
        if (mode === 'crd') Object.assign(out, { minimum: schema.above, exclusiveMinimum: true });
        else out.exclusiveMinimum = schema.above;
      }
      return out;
    }
    case 'bool':
      return { type: 'boolean' };
    case 'duration':
      return { type: 'string', pattern: DURATION_PATTERN };
    case 'list': {
      const items = convert(schema.items, mode);
      const scalar = items.type !== 'object' && items.type !== 'array' && items.type !== undefined;
      return {
        type: 'array',
        items,
        ...(schema.minItems !== undefined ? { minItems: schema.minItems } : {}),
        ...(schema.maxItems !== undefined ? { maxItems: schema.maxItems } : {}),
        // Structural schemas forbid uniqueItems; a list of scalars can be a set instead.
        ...(schema.unique
          ? mode === 'crd'
            ? scalar
              ? { 'x-kubernetes-list-type': 'set' }
              : {}
            : { uniqueItems: true }
          : {}),
      };
    }
    case 'object':
      return objectSchema(schema.fields, mode);
    case 'map':
      return {
        type: 'object',
        additionalProperties: convert(schema.values, mode),
        ...(schema.minEntries !== undefined ? { minProperties: schema.minEntries } : {}),
        ...(schema.maxEntries !== undefined ? { maxProperties: schema.maxEntries } : {}),
        ...(mode === 'json-schema' ? { propertyNames: convert(schema.key, mode) } : {}),
      };
    case 'custom':
      if (schema.shape) return convert(schema.shape, mode);
      if (schema.json) return mode === 'crd' ? customForCrd({ ...schema.json }) : { ...schema.json };
      return mode === 'crd' ? { 'x-kubernetes-preserve-unknown-fields': true } : {};
  }
}

/** The whole ModelRoute document as a JSON Schema (draft 2020-12). */
export function modelRouteJsonSchema(): Json {
  const doc = objectSchema(MODEL_ROUTE_FIELDS, 'json-schema');
  const props = doc.properties as Json;
  props.apiVersion = { const: API_VERSION };
  props.kind = { const: KIND };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://switchyard.dev/schemas/modelroute.v1alpha1.json',
    title: 'Switchyard ModelRoute',
    description:
      'A Switchyard routing policy for one model (docs/TRANSLATION.md). Generated from the schema the CLI validates with; cross-field rules are checked by `switchyard apply --dry-run`.',
    ...doc,
  };
}

/** The ModelRoute CustomResourceDefinition (apiextensions.k8s.io/v1). */
export function modelRouteCrd(): Json {
  const [group, version] = API_VERSION.split('/') as [string, string];
  const spec = convert(MODEL_ROUTE_FIELDS.spec!.schema, 'crd');
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `modelroutes.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'modelroutes', singular: 'modelroute', kind: KIND, shortNames: ['mr'] },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'A Switchyard routing policy for one model (docs/TRANSLATION.md).',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
              },
              required: ['spec'],
            },
          },
          additionalPrinterColumns: [
            { name: 'Model', type: 'string', jsonPath: '.spec.model' },
            { name: 'mTLS', type: 'string', jsonPath: '.spec.mtls' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}
