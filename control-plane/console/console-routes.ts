// The web console on the admin port: `/ui` (a page with no data in it, so it needs no
// credentials) and its bundle, and `/api/v1/events`, the Server-Sent Events stream, which
// authenticates like every /api/v1 route. docs/CONSOLE.md.
import { readFile } from 'node:fs/promises';
import { UnavailableError } from '../../kernel/errors/index.js';
import type { AdminRequest, AdminRoute } from '../admin/router.js';
import { callContext } from '../api/http-routes.js';
import type { Authenticator } from '../auth/authenticator.js';
import { authorize } from '../auth/rbac.js';
import type { ConsoleHub } from './console-hub.js';

/** Where the build script (control-plane/console/build.ts) writes the bundle; git-ignored. */
export const BUNDLE_DIR = new URL('./dist/', import.meta.url);

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

// Scripts and styles only from this origin, data only from this origin, never in a frame.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard console</title>
<link rel="stylesheet" href="/ui/app.css">
</head>
<body>
<div id="app"><p class="boot">Loading the console...</p></div>
<script type="module" src="/ui/app.js"></script>
</body>
</html>
`;

async function asset(name: string): Promise<Buffer> {
  try {
    return await readFile(new URL(name, BUNDLE_DIR));
  } catch {
    throw new UnavailableError(
      `the console bundle is not built (no ${name}): run 'npx tsx control-plane/console/build.ts'`,
    );
  }
}

export function consoleRoutes(d: { readonly authn: Authenticator; readonly hub: ConsoleHub }): AdminRoute[] {
  // A caller with no role anywhere is refused like on /api/v1/policies (401 without credentials,
  // 403 with them); each topic is then cut to the caller's roles. The hub asks again later.
  const caller = async (req: AdminRequest) => {
    const { principal } = await callContext(d.authn, req);
    if (principal.bindings.length === 0) authorize(principal, 'list', 'default');
    return principal;
  };
  return [
    {
      method: 'GET',
      path: '/ui',
      handle: () => ({
        headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' },
        body: PAGE,
      }),
    },
    {
      method: 'GET',
      path: '/ui/:asset',
      handle: async (req) => {
        const type = ASSETS[req.params.asset!];
        if (!type) return { headers: PAGE_HEADERS, status: 404, body: 'not found\n' };
        return { headers: { ...PAGE_HEADERS, 'content-type': type }, body: await asset(req.params.asset!) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/events',
      handle: async (req) => {
        const principal = await caller(req);
        d.hub.admit();
        return {
          headers: {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-store',
            'x-accel-buffering': 'no',
            'x-content-type-options': 'nosniff',
          },
          stream: (res) => d.hub.attach(res, principal, () => caller(req)),
        };
      },
      close: () => d.hub.close(),
    },
  ];
}
