// A model's cluster names, spelled once per translation of the model: its clusters, and the
// routes of each entry point (weighted split and match rules), all name the same clusters, and
// a name spelled again is another string to build, hold and encode (names.ts decides them).
import type { ModelRouteSpec } from '../policy/types.js';
import { clusterName, restClusterName } from './names.js';
import type { EntryPoint } from './retry-on.js';
import type { Flavor } from './types.js';

/** Cluster names in the order of `spec.versions`; `rest` is empty in the gRPC flavor. */
export interface VersionNames {
  readonly grpc: readonly string[];
  readonly rest: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

export function versionNames(spec: ModelRouteSpec, flavor: Flavor): VersionNames {
  const { model, versions } = spec;
  // Sized up front (held for as long as the model's policy): pushed into, an empty array
  // grows to 16 slots.
  const n = versions.length;
  const grpc: string[] = new Array(n);
  for (let i = 0; i < n; i++) grpc[i] = clusterName(model, versions[i]!.name);
  if (flavor === 'grpc') return { grpc, rest: NONE };
  const rest: string[] = new Array(n);
  for (let i = 0; i < n; i++) rest[i] = restClusterName(model, versions[i]!.name);
  return { grpc, rest };
}

/** The names an entry point's requests go to: Envoy's REST requests have clusters of their own. */
export function entryNames(names: VersionNames, flavor: Flavor, entry: EntryPoint): readonly string[] {
  return flavor === 'envoy' && entry === 'rest' ? names.rest : names.grpc;
}

/** The name of `version`'s cluster; undefined for a version `spec.versions` does not declare. */
export function nameOf(spec: ModelRouteSpec, names: readonly string[], version: string): string | undefined {
  const { versions } = spec;
  for (let i = 0; i < versions.length; i++) if (versions[i]!.name === version) return names[i];
  return undefined;
}
