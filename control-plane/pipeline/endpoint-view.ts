// The endpoints each model version routes to, for `GET /api/v1/endpoints` and
// `switchyard endpoints`: static ones from the policies, discovered ones from the endpoint table.
import type { ModelRoute } from '../policy/index.js';
import { type EndpointInfo, type EndpointTable, endpointKey } from '../translate/types.js';

export interface EndpointView extends EndpointInfo {
  readonly model: string;
  readonly version: string;
  readonly source: 'static' | 'discovered';
}

export function listEndpoints(routes: readonly ModelRoute[], table: EndpointTable): EndpointView[] {
  const out: EndpointView[] = [];
  for (const r of routes)
    for (const v of r.spec.versions) {
      if (v.endpoints) {
        for (const e of v.endpoints)
          out.push({ model: r.spec.model, version: v.name, source: 'static', health: 'HEALTHY', ...e });
      } else {
        for (const e of table.get(endpointKey(r.spec.model, v.name)) ?? [])
          out.push({ model: r.spec.model, version: v.name, source: 'discovered', ...e });
      }
    }
  return out;
}
