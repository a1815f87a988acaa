// A ModelRoute version backed by the model registry: `model: { registry: "fraud:2" }`,
// `replicas: { min, max }` and `device`. The placer loads the registry version onto managed
// pods; the version's endpoints are the pods that report that registry version READY.
// docs/PLACEMENT.md describes the fields; rules that span them are checkRegistryVersions().
import type { Issue } from '../../kernel/errors/index.js';
import type { Field, Schema } from './schema.js';

export const REGISTRY_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const REGISTRY_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const DEVICES = ['gpu', 'cpu', 'any'] as const;
export type Device = (typeof DEVICES)[number];
/** Replicas cap per version: a policy cannot ask for more pods than a fleet plausibly has. */
export const MAX_REPLICAS = 1000;

export interface RegistryRef {
  /** `name:version` as written. */
  readonly registry: string;
  readonly name: string;
  readonly version: string;
}

export interface Replicas {
  readonly min: number;
  readonly max: number;
}

/** `name:version` into its parts, or a message saying what is wrong. */
export function parseRegistryRef(text: string): RegistryRef | string {
  const at = text.indexOf(':');
  if (at < 0) return `${JSON.stringify(text)} must be NAME:VERSION (e.g. "fraud:2")`;
  const name = text.slice(0, at);
  const version = text.slice(at + 1);
  if (!REGISTRY_NAME.test(name))
    return `${JSON.stringify(name)} is not a registry name (${REGISTRY_NAME.source})`;
  if (!REGISTRY_VERSION.test(version))
    return `${JSON.stringify(version)} is not a registry version (${REGISTRY_VERSION.source})`;
  return { registry: text, name, version };
}

/**
 * The registry version a policy version names, or undefined. The route keeps `model.registry`
 * as written (routes go back to the store as documents); this splits it where it is used.
 */
export function registryRefOf(v: {
  readonly model?: { readonly registry: string };
}): RegistryRef | undefined {
  if (!v.model) return undefined;
  const ref = parseRegistryRef(v.model.registry);
  return typeof ref === 'string' ? undefined : ref;
}

function checkRef(value: unknown, path: string, out: Issue[]): string | undefined {
  if (typeof value !== 'string') {
    out.push({ path, message: 'must be a string NAME:VERSION' });
    return undefined;
  }
  const ref = parseRegistryRef(value);
  if (typeof ref === 'string') {
    out.push({ path, message: ref });
    return undefined;
  }
  return value;
}

const f = (schema: Schema, extra: Omit<Field, 'schema'> = {}): Field => ({ schema, ...extra });

/** The fields a version gains; model-route-schema.ts spreads them into its VERSION schema. */
export const REGISTRY_VERSION_FIELDS: Readonly<Record<string, Field>> = {
  model: f({
    kind: 'object',
    fields: {
      registry: f(
        { kind: 'custom', check: checkRef, json: { type: 'string', pattern: '^[^:]+:[^:]+$' } },
        { required: true },
      ),
    },
  }),
  replicas: f({
    kind: 'object',
    fields: {
      min: f({ kind: 'int', min: 0, max: MAX_REPLICAS }, { default: 1 }),
      max: f({ kind: 'int', min: 0, max: MAX_REPLICAS }),
    },
  }),
  device: f({ kind: 'string', oneOf: DEVICES }),
};

interface LooseVersion {
  weight?: number;
  model?: { registry?: unknown } | undefined;
  replicas?: { min?: number; max?: number } | undefined;
  device?: string | undefined;
  endpoints?: unknown;
}

/**
 * A registry version names no static endpoints (its pods come from placement); replicas and
 * device mean something only with a registry version; min <= max; max 0 only with weight 0. Fills the defaults: replicas
 * {min: 1, max: min}, device any.
 */
export function checkRegistryVersions(
  versions: (LooseVersion | undefined)[] | undefined,
  out: Issue[],
): void {
  versions?.forEach((v, i) => {
    if (!v) return;
    const path = `spec.versions[${i}]`;
    if (!v.model) {
      for (const k of ['replicas', 'device'] as const)
        if (v[k] !== undefined)
          out.push({ path: `${path}.${k}`, message: 'applies only to a registry version (model.registry)' });
      return;
    }
    if (v.endpoints !== undefined)
      out.push({
        path: `${path}.endpoints`,
        message: 'a registry version (model.registry) takes its endpoints from placement; remove endpoints',
      });
    const min = v.replicas?.min ?? 1;
    const max = v.replicas?.max ?? Math.max(min, 1);
    if (max < min) out.push({ path: `${path}.replicas`, message: `max ${max} is below min ${min}` });
    // max 0 releases a version's replicas (an old stable after a rollout): it cannot take traffic.
    if (max === 0 && (v.weight ?? 0) > 0)
      out.push({
        path: `${path}.replicas.max`,
        message: `is 0 (no replicas) but the version has weight ${v.weight}; set its weight to 0 first`,
      });
    v.replicas = { min, max };
    v.device ??= 'any';
  });
}
