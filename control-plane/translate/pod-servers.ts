// Which pods serve which models, and the inbound rules that follow for each (docs/ACCESS.md,
// "Pods as xDS-managed servers"). A pod is one gRPC listening address (address:port): the
// endpoints of every model version at that address, discovered or static. Its rules must hold
// for every call it takes, because KServe's ModelInfer names the model in the request body,
// which a listener's RBAC cannot see:
// - mTLS mode: the strictest among the policies of the models it serves (STRICT > PERMISSIVE >
//   DISABLE); models without a policy do not lower it; no policy at all: DISABLE.
// - identities: the union of the models' `access.identities`, and only when every model on the
//   pod sets them (one open model opens the pod's listener; its own per-model check remains).
// Pure: no I/O, no clock.
import { registryRefOf } from '../policy/registry-ref.js';
import type { ModelRoute, MtlsMode } from '../policy/types.js';
import { versionEndpoints } from './endpoints.js';
import { type EndpointTable, endpointKey } from './types.js';

export interface PodServer {
  /** The IP the pod binds its xDS-managed gRPC server to (its advertised address). */
  readonly address: string;
  readonly port: number;
  /** Sorted. */
  readonly models: readonly string[];
  readonly mtls: MtlsMode;
  /** Sorted union of the models' identities; undefined: no identity rule on the listener. */
  readonly identities?: readonly string[];
}

const STRICTNESS: Record<MtlsMode, number> = { DISABLE: 0, PERMISSIVE: 1, STRICT: 2 };

function addressKey(address: string, port: number): string {
  return `${address}\u0000${port}`;
}

/** Every pod address of the routes and the endpoint table, with the rules it gets; sorted by address. */
export function podServers(routes: readonly ModelRoute[], table: EndpointTable): PodServer[] {
  const pods = new Map<string, { address: string; port: number; models: Set<string> }>();
  const add = (model: string, address: string, port: number) => {
    const k = addressKey(address, port);
    let p = pods.get(k);
    if (!p) {
      p = { address, port, models: new Set() };
      pods.set(k, p);
    }
    p.models.add(model);
  };
  const byModel = new Map<string, ModelRoute>();
  // Table entries a route reads (its own model's versions or a registry version it names): the
  // pods behind them serve the route's model, whatever the entry is keyed by.
  const claimed = new Set<string>();
  for (const route of routes) {
    byModel.set(route.spec.model, route);
    for (const v of route.spec.versions) {
      const ref = registryRefOf(v);
      if (!v.endpoints)
        claimed.add(ref ? endpointKey(ref.name, ref.version) : endpointKey(route.spec.model, v.name));
      for (const e of versionEndpoints(route, v.name, table)) add(route.spec.model, e.address, e.port);
    }
  }
  // Discovered models without a policy: open, so they keep their pod's listener open too.
  for (const [key, list] of table) {
    if (claimed.has(key)) continue;
    const model = key.slice(0, key.indexOf('/'));
    for (const e of list) add(model, e.address, e.port);
  }
  const out: PodServer[] = [];
  for (const p of pods.values()) {
    const models = [...p.models].sort();
    const policies = models.map((m) => byModel.get(m));
    let mtls: MtlsMode = 'DISABLE';
    for (const r of policies) if (r && STRICTNESS[r.spec.mtls] > STRICTNESS[mtls]) mtls = r.spec.mtls;
    const everyRestricted = policies.every((r) => r?.spec.access?.identities !== undefined);
    const identities = everyRestricted
      ? [...new Set(policies.flatMap((r) => r!.spec.access!.identities!))].sort()
      : undefined;
    out.push({ address: p.address, port: p.port, models, mtls, ...(identities ? { identities } : {}) });
  }
  return out.sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1));
}
