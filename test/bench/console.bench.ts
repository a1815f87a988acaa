// Benchmark of the web console (docs/CONSOLE.md) in headless Chromium against a real control
// plane on a real nats-server, with 2,000 endpoints (20 policies x 2 versions x 50 static
// endpoints) and 100 connected proxies (SotW ADS streams that ACK):
//  1. first render: from navigation to the page holding every model card and all 2,000 endpoint
//     rows, committed and then painted (5 fresh page loads);
//  2. live update: 20 applies that change one endpoint's weight (so the 2,000-row endpoints topic
//     and the policies topic both change): per pushed event, from its arrival in the browser to
//     the DOM commit and to the paint after it; and end to end, from the apply call to the paint
//     (this adds the store write, the control plane's debounce and the console's 500 ms sampler).
// Goals: first render < 2 s, update < 200 ms.
import type { Browser, Page } from 'playwright-core';
import { renderTable } from '../../control-plane/cli/table.js';
import { type ApiFixture, apiKey, startApi } from '../api/fixture.js';
import { buildConsole, chromiumMissing, launchChromium } from '../console/browser.js';
import { connectProxies } from '../console/proxies.js';
import { waitFor } from '../helpers/control-plane.js';

process.env.SWITCHYARD_LOG ??= 'warn';

const MODELS = 20;
const PER_VERSION = 50;
const PROXIES = 100;
const LOADS = 5;
const UPDATES = 20;

const log = (m: string) => process.stdout.write(`${m}\n`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

function doc(i: number, bump = 0) {
  const endpoints = (v: number) =>
    Array.from({ length: PER_VERSION }, (_, e) => ({
      address: `10.${i}.${v}.${e + 1}`,
      port: 8001,
      // The first endpoint's weight is what an update changes.
      ...(e === 0 ? { weight: 1 + bump } : {}),
    }));
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name: `m${i}`, namespace: 'default' },
    spec: {
      model: `m${i}`,
      mtls: 'DISABLE',
      versions: [
        { name: 'v1', weight: 80, endpoints: endpoints(1) },
        { name: 'v2', weight: 20, endpoints: endpoints(2) },
      ],
    },
  };
}

interface Timing {
  event: string;
  sentAt: number;
  receivedAt: number;
  renderedAt?: number;
  paintedAt?: number;
}

// Functions evaluated in the page see the browser's globals, which Node's types do not declare.
declare const window: {
  __console?: { timings: Timing[]; firstRenderAt?: number; firstPaintAt?: number };
};
declare const document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };
declare const sessionStorage: { setItem(key: string, value: string): void };
declare const performance: { now(): number; timeOrigin: number };

async function openConsole(browser: Browser, fx: ApiFixture): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // Signed in before the page loads, so the figure is the console's, not the typing's.
  await context.addInitScript(
    (key) => sessionStorage.setItem('switchyard.credential', key),
    fx.keys['admin-all'],
  );
  return context.newPage();
}

async function firstRender(browser: Browser, fx: ApiFixture) {
  const received: number[] = [];
  const commit: number[] = [];
  const paint: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await openConsole(browser, fx);
    await page.goto(`${fx.url}/ui`);
    await page.waitForFunction(() => window.__console?.firstPaintAt !== undefined, undefined, {
      timeout: 60_000,
    });
    const r = await page.evaluate(() => ({
      commit: window.__console!.firstRenderAt!,
      paint: window.__console!.firstPaintAt!,
      received: Math.max(
        ...window
          .__console!.timings.filter((t) => t.event === 'endpoints' || t.event === 'policies')
          .map((t) => t.receivedAt),
      ),
      rows: document.querySelectorAll('table.endpoints tbody tr').length,
      models: document.querySelectorAll('[data-model]').length,
    }));
    if (r.rows !== MODELS * 2 * PER_VERSION || r.models !== MODELS)
      throw new Error(`first render showed ${r.models} models and ${r.rows} endpoint rows`);
    received.push(r.received);
    commit.push(r.commit);
    paint.push(r.paint);
    await page.context().close();
  }
  return { received, commit, paint };
}

async function liveUpdates(browser: Browser, fx: ApiFixture) {
  const page = await openConsole(browser, fx);
  await page.goto(`${fx.url}/ui`);
  await page.waitForFunction(() => window.__console?.firstPaintAt !== undefined, undefined, {
    timeout: 60_000,
  });
  const byEvent = new Map<string, { commit: number[]; paint: number[] }>();
  const endToEnd: number[] = [];
  for (let u = 1; u <= UPDATES; u++) {
    const before = await page.evaluate(() => window.__console!.timings.length);
    const t0 = Date.now();
    const r = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: doc(0, u) },
      apiKey(fx.keys['admin-all']),
    );
    if (r.status >= 300) throw new Error(`apply failed: ${JSON.stringify(r.json)}`);
    // Wait for the row with the new weight, then for the paint of the events that brought it.
    await page.waitForFunction(
      (w) =>
        Array.from(document.querySelectorAll('[data-endpoints="m0"] tbody tr td:last-child')).some(
          (td) => td.textContent === String(w),
        ),
      1 + u,
      { timeout: 30_000 },
    );
    await page.waitForFunction(
      (n) => window.__console!.timings.slice(n).every((t) => t.paintedAt !== undefined),
      before,
      { timeout: 30_000 },
    );
    const { timings, origin } = await page.evaluate(
      (n) => ({ timings: window.__console!.timings.slice(n) as Timing[], origin: performance.timeOrigin }),
      before,
    );
    for (const t of timings) {
      const e = byEvent.get(t.event) ?? { commit: [], paint: [] };
      e.commit.push(t.renderedAt! - t.receivedAt);
      e.paint.push(t.paintedAt! - t.receivedAt);
      byEvent.set(t.event, e);
    }
    const endpoints = timings.find((t) => t.event === 'endpoints');
    if (endpoints) endToEnd.push(origin + endpoints.paintedAt! - t0);
  }
  await page.context().close();
  return { byEvent, endToEnd };
}

async function main(): Promise<void> {
  const missing = chromiumMissing();
  if (missing) {
    process.stderr.write(`console benchmark cannot run: ${missing}\n`);
    process.exit(2);
  }
  buildConsole();
  const fx = await startApi({ debounceQuietMs: 100 });
  const proxies = connectProxies(fx.xdsAddress, PROXIES, 'm0', { prefix: 'bench-proxy' });
  let browser: Browser | undefined;
  try {
    for (let i = 0; i < MODELS; i++) {
      const r = await fx.call('POST', '/api/v1/policies', { document: doc(i) }, apiKey(fx.keys['admin-all']));
      if (r.status >= 300) throw new Error(`apply failed: ${JSON.stringify(r.json)}`);
    }
    await waitFor(
      () => fx.cp.proxies.list().filter((p) => p.types.RDS?.acked).length >= PROXIES,
      60_000,
      'proxies synced',
    );
    log(`${MODELS} policies, ${MODELS * 2 * PER_VERSION} endpoints, ${fx.cp.proxies.size} proxies connected`);
    browser = await launchChromium();
    log(`browser: ${browser.version()} (headless)`);
    const first = await firstRender(browser, fx);
    // In load order: the first is the browser's first page (cold caches and JIT).
    log(`first render, painted, per load: ${first.paint.map((x) => ms(x)).join(', ')}`);
    const live = await liveUpdates(browser, fx);
    const row = (what: string, xs: number[], goal: string) => [
      what,
      String(xs.length),
      ms(pct(xs, 50)),
      ms(Math.max(...xs)),
      goal,
    ];
    const rows: string[][] = [
      row('first render, data received', first.received, '-'),
      row('first render, committed', first.commit, '< 2000 ms'),
      row('first render, painted', first.paint, '< 2000 ms'),
    ];
    for (const [event, t] of [...live.byEvent].sort()) {
      rows.push(row(`update "${event}", committed`, t.commit, '< 200 ms'));
      rows.push(row(`update "${event}", painted`, t.paint, '< 200 ms'));
    }
    rows.push(row('apply call -> painted (end to end)', live.endToEnd, '-'));
    log('');
    log(renderTable(['measure', 'n', 'median', 'max', 'goal'], rows));
  } finally {
    await browser?.close();
    for (const c of proxies) c.close();
    await fx.close();
  }
}

await main();
