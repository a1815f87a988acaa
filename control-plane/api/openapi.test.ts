import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { coreRoutes } from '../admin/routes/core.js';
import { adminCsrRoutes } from '../pki/index.js';
import { rolloutRoutes } from '../rollout/http-routes.js';
import { caRoutes } from './ca-routes.js';
import { type ApiDeps, apiRoutes } from './http-routes.js';
import { modelRoutes } from './model-routes.js';
import { proxyConfigRoutes } from './proxy-config-routes.js';
import { syncRoutes } from './sync-routes.js';

const spec = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
};

describe('docs/openapi.yaml', () => {
  it('documents exactly the routes the admin server serves', () => {
    // Only method and path are read from the route tables here.
    // The CSR routes are mounted too when the control plane runs its CA (--ca-dir).
    const routes = [
      ...coreRoutes({} as Parameters<typeof coreRoutes>[0]),
      ...apiRoutes({} as ApiDeps),
      ...adminCsrRoutes({} as Parameters<typeof adminCsrRoutes>[0]),
      ...caRoutes({} as Parameters<typeof caRoutes>[0]),
      ...modelRoutes({} as Parameters<typeof modelRoutes>[0]),
      ...rolloutRoutes({} as Parameters<typeof rolloutRoutes>[0]),
      ...syncRoutes({} as Parameters<typeof syncRoutes>[0]),
      ...proxyConfigRoutes({} as Parameters<typeof proxyConfigRoutes>[0]),
    ];
    const served = routes.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`).sort();
    const documented = Object.entries(spec.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    expect(documented).toEqual(served);
  });
});
