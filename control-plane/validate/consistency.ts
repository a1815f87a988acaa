// The check a snapshot passes before it is published (xDS rule 5, docs/XDS.md): every name a resource
// uses exists in the same snapshot. Pure; returns every problem at once.
//
// Secrets: a snapshot that serves SDS (an Envoy identity group, see xds/sds/) must hold every
// secret its clusters and listeners name, or Envoy would wait on a secret that never comes
// (clusters stuck warming). A snapshot without any secret is a flavor snapshot that identity
// groups extend, or one served to proxyless gRPC (which rejects SDS): not checked for secrets.
import type { Issue } from '../../kernel/errors/index.js';

/** Names per type plus, per resource, what it refers to (see references.ts). */
export interface ReferenceView {
  readonly listeners: ReadonlyMap<
    string,
    { routes: readonly string[]; clusters: readonly string[]; secrets?: readonly string[] }
  >;
  readonly routes: ReadonlyMap<string, readonly string[]>;
  readonly clusters: ReadonlyMap<string, { eds?: string; secrets?: readonly string[] }>;
  readonly endpoints: ReadonlySet<string>;
  /** Secret names, when the snapshot serves any; absent or empty: secrets are not checked. */
  readonly secrets?: ReadonlySet<string>;
}

export function checkConsistency(view: ReferenceView): Issue[] {
  const issues: Issue[] = [];
  for (const [name, refs] of view.listeners) {
    for (const r of refs.routes)
      if (!view.routes.has(r))
        issues.push({ path: `listeners[${name}]`, message: `names missing route configuration "${r}"` });
    for (const c of refs.clusters)
      if (!view.clusters.has(c))
        issues.push({ path: `listeners[${name}]`, message: `routes to missing cluster "${c}"` });
  }
  for (const [name, clusters] of view.routes)
    for (const c of clusters)
      if (!view.clusters.has(c))
        issues.push({ path: `routes[${name}]`, message: `routes to missing cluster "${c}"` });
  for (const [name, refs] of view.clusters)
    if (refs.eds !== undefined && !view.endpoints.has(refs.eds))
      issues.push({
        path: `clusters[${name}]`,
        message: `names missing endpoints (ClusterLoadAssignment "${refs.eds}")`,
      });
  const secrets = view.secrets;
  if (secrets?.size) {
    const missing = (kind: string, name: string, refs: readonly string[] | undefined) => {
      for (const s of refs ?? [])
        if (!secrets.has(s))
          issues.push({ path: `${kind}[${name}]`, message: `names missing secret "${s}"` });
    };
    for (const [name, refs] of view.listeners) missing('listeners', name, refs.secrets);
    for (const [name, refs] of view.clusters) missing('clusters', name, refs.secrets);
  }
  return issues;
}
