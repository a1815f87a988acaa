// The web console in a real browser (Debian's Chromium through playwright-core) against a real
// control plane on a real nats-server: without credentials only the login form is shown and the
// event stream refuses; the live split moves when a policy is applied through the API; an
// operator's slider change and rollback land as revisions with audit records; a viewer gets no
// controls and the API refuses it anyway; every view is saved as a screenshot.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePushMeta, PUSH_META_HEADER } from '../../control-plane/registry/upload.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from '../api/fixture.js';
import type { SotwClient } from '../helpers/ads-client.js';
import { modelFile } from '../registry/helpers.js';
import { buildConsole, chromiumMissing, launchChromium, screenshot, signIn } from './browser.js';
import { connectProxies } from './proxies.js';

const missing = chromiumMissing();
if (missing) process.stderr.write(`console browser tests skipped: ${missing}\n`);

describe.skipIf(missing !== undefined)('web console', () => {
  let fx: ApiFixture;
  let browser: Browser;
  let proxies: SotwClient[] = [];
  const pages: Page[] = [];
  const admin = () => apiKey(fx.keys['admin-all']);

  const apply = async (w1: number, reason: string) => {
    const r = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('resnet', 'default', w1), reason },
      admin(),
    );
    expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
  };
  const open = async (key: keyof ApiFixture['keys']) => {
    const page = await signIn(browser, fx.url, fx.keys[key]);
    pages.push(page);
    return page;
  };
  const share = (page: Page, version: string) =>
    page.locator(`[data-split="resnet"] [data-version="${version}"]`).getAttribute('data-share');

  beforeAll(async () => {
    buildConsole();
    fx = await startApi();
    await apply(90, 'first split');
    proxies = [
      ...connectProxies(fx.xdsAddress, 3, 'resnet'),
      ...connectProxies(fx.xdsAddress, 1, 'resnet', {
        prefix: 'console-nacker',
        nackRoutes: () => 'route_config: weighted_clusters total weight 0 (console test)',
      }),
    ];
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const p of pages) await p.context().close();
    await browser?.close();
    for (const c of proxies) c.close();
    await fx?.close();
  });

  it('shows a session without credentials the login form and never data', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    pages.push(page);
    const seen: string[] = [];
    page.on('response', (r) => seen.push(`${r.status()} ${new URL(r.url()).pathname}`));
    await page.goto(`${fx.url}/ui`);
    await page.locator('form.login').waitFor({ timeout: 30_000 });
    expect(await page.locator('body').textContent()).not.toContain('resnet');
    // Besides the page and its bundle, one call: the stream, asked anonymously and refused.
    expect(seen.filter((s) => s.includes('/api/'))).toEqual(['401 /api/v1/events']);
    expect(await page.locator('form.login [role=alert]').count()).toBe(0);
    await screenshot(page, 'login');

    const events = await fetch(`${fx.url}/api/v1/events`);
    expect(events.status).toBe(401);
    const body = await events.text();
    expect(body).toContain('SY_UNAUTHENTICATED');
    expect(body).not.toContain('resnet');

    // A wrong credential is refused: the form comes back with the server's reason.
    await page.locator('form.login input[name=credential]').fill('not-a-key');
    await page.locator('form.login button[type=submit]').click();
    await expect
      .poll(() => page.locator('form.login [role=alert]').textContent(), { timeout: 30_000 })
      .toContain('unknown API key');
  });

  it('moves the live split when a policy is applied', async () => {
    const page = await open('viewer-all');
    await expect.poll(() => share(page, 'v2'), { timeout: 30_000 }).toBe('10');
    await apply(70, 'shift to v2');
    await expect.poll(() => share(page, 'v2'), { timeout: 30_000 }).toBe('30');
    await expect.poll(() => share(page, 'v1'), { timeout: 30_000 }).toBe('70');
    // The chart was drawn from the pushed samples.
    expect(await page.locator('[data-model="resnet"] .uplot canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'models');
  });

  it("lands an operator's split change and rollback as revisions with audit records", async () => {
    const page = await open('operator-default');
    const form = page.locator('[data-split-form="resnet"]');
    await form.waitFor({ timeout: 30_000 });
    await form.locator('input[name="weight-v1"]').fill('40');
    expect(await form.locator('input[name="weight-v2"]').inputValue()).toBe('60');
    // No reason, no change: the form says why.
    await form.locator('button[type=submit]').click();
    await expect.poll(() => form.locator('[role=status]').textContent()).toContain('reason is required');
    await form.locator('input[name=reason]').fill('console: more to v2');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => share(page, 'v2'), { timeout: 30_000 }).toBe('60');

    const got = await fx.call('GET', '/api/v1/namespaces/default/policies/resnet', undefined, admin());
    expect(got.json.versions).toEqual([
      { name: 'v1', weight: 40 },
      { name: 'v2', weight: 60 },
    ]);
    expect(got.json.appliedBy).toBe('apikey:operator-default');
    const audit = await fx.call('GET', '/api/v1/audit', undefined, admin());
    const mine = audit.json.records.filter(
      (r: { who: string; reason?: string; phase?: string }) =>
        r.who === 'apikey:operator-default' && r.reason === 'console: more to v2' && r.phase === 'committed',
    );
    expect(mine).toHaveLength(1);
    expect(mine[0].action).toBe('apply');

    // Roll back to the first revision from the revisions view.
    await page.goto(`${fx.url}/ui#revisions`);
    const first = page.locator('[data-rollback="1"]');
    await first.waitFor({ timeout: 30_000 });
    await first.locator('input[name=reason]').fill('console: back to the start');
    await first.locator('button[type=submit]').click();
    await expect
      .poll(() => first.locator('[role=status]').textContent(), { timeout: 30_000 })
      .toContain('rolled back');
    const after = await fx.call('GET', '/api/v1/namespaces/default/policies/resnet', undefined, admin());
    expect(after.json.versions).toEqual([
      { name: 'v1', weight: 90 },
      { name: 'v2', weight: 10 },
    ]);
    const trail = await fx.call('GET', '/api/v1/audit', undefined, admin());
    expect(
      trail.json.records.some(
        (r: { action: string; reason?: string; phase?: string }) =>
          r.action === 'rollback' && r.reason === 'console: back to the start' && r.phase === 'committed',
      ),
    ).toBe(true);
  });

  it('lets an operator pause and abort a rollout, each audited', async () => {
    const doc = routeDoc('bert') as ReturnType<typeof routeDoc> & { spec: Record<string, unknown> };
    doc.spec.versions = [
      { name: 'v1', weight: 100, endpoints: [{ address: '127.0.0.1', port: 9001 }] },
      { name: 'v2', weight: 0, endpoints: [{ address: '127.0.0.1', port: 9002 }] },
    ];
    // No traffic reaches these endpoints, so the step stays inconclusive: the rollout waits.
    doc.spec.rollout = {
      candidate: 'v2',
      steps: [{ weight: 10, for: '10m' }],
      analysis: { errorRate: { max: '1%' } },
    };
    const applied = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: doc, reason: 'bert with a rollout' },
      admin(),
    );
    expect(applied.status, JSON.stringify(applied.json)).toBeLessThan(300);
    const started = await fx.call(
      'POST',
      '/api/v1/namespaces/default/rollouts/bert',
      { reason: 'start' },
      admin(),
    );
    expect(started.status, JSON.stringify(started.json)).toBe(201);

    const page = await open('operator-default');
    await page.goto(`${fx.url}/ui#rollouts`);
    const card = page.locator('[data-rollout="default/bert"]');
    await expect.poll(() => card.locator('h2 .tag').textContent(), { timeout: 30_000 }).toBe('progressing');
    await expect
      .poll(() => card.locator('table.gates tbody tr').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await screenshot(page, 'rollouts-progressing');
    const commands = card.locator('[data-rollout-commands]');
    await commands.locator('input[name=reason]').fill('console: hold the canary');
    await commands.getByRole('button', { name: 'pause' }).click();
    await expect.poll(() => card.locator('h2 .tag').textContent(), { timeout: 30_000 }).toBe('paused');
    await commands.locator('input[name=reason]').fill('console: give up');
    await commands.getByRole('button', { name: 'abort' }).click();
    await expect.poll(() => card.locator('h2 .tag').textContent(), { timeout: 30_000 }).toBe('aborted');
    expect(await card.locator('[data-rollout-commands]').count()).toBe(0);

    const status = await fx.call('GET', '/api/v1/namespaces/default/rollouts/bert', undefined, admin());
    expect(status.json.phase).toBe('aborted');
    const trail = await fx.call('GET', '/api/v1/audit', undefined, admin());
    const reasons = trail.json.records
      .filter(
        (r: { action: string; who: string }) => r.action === 'rollout' && r.who === 'apikey:operator-default',
      )
      .map((r: { reason?: string }) => r.reason);
    expect(reasons).toEqual([
      'pause: console: hold the canary',
      'rollout bert v2: aborted by apikey:operator-default at step 1/1: console: give up',
    ]);
  });

  it('signs in with a bearer token as well as an API key', async () => {
    const token = await fx.jwt({ sub: 'alice', switchyard_roles: ['viewer:default'] });
    const page = await signIn(browser, fx.url, token);
    pages.push(page);
    await expect
      .poll(() => page.locator('[data-principal]').getAttribute('data-principal'), { timeout: 30_000 })
      .toBe('jwt:alice');
    await page.locator('[data-model="resnet"]').waitFor({ timeout: 30_000 });
    // An expired token is refused at sign-in with the server's reason.
    const expired = await fx.jwt(
      { sub: 'alice', switchyard_roles: ['viewer:default'] },
      { expiresIn: Math.floor(Date.now() / 1000) - 60 },
    );
    await page.locator('button', { hasText: 'sign out' }).click();
    await page.locator('form.login input[name=credential]').fill(expired);
    await page.locator('form.login button[type=submit]').click();
    await expect
      .poll(() => page.locator('form.login [role=alert]').textContent(), { timeout: 30_000 })
      .toContain('Not signed in: bearer token rejected');
  });

  it('gives a viewer no controls, and the API refuses its actions', async () => {
    const page = await open('viewer-default');
    await page.locator('[data-model="resnet"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-split-form]').count()).toBe(0);
    await page.goto(`${fx.url}/ui#revisions`);
    await page.locator('ol.history li').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-rollback]').count()).toBe(0);
    // Cluster-wide views stay empty for a namespace viewer, as the API refuses them.
    await page.goto(`${fx.url}/ui#proxies`);
    await page.locator('[data-proxies]').waitFor();
    expect(await page.locator('[data-proxies]').getAttribute('data-proxies')).toBe('0');
    await screenshot(page, 'viewer-proxies');

    const doc = routeDoc('resnet', 'default', 5);
    const put = await page.evaluate(
      async ({ key, doc }) => {
        const r = await fetch('/api/v1/namespaces/default/policies/resnet', {
          method: 'PUT',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ document: doc, reason: 'viewer tries' }),
        });
        return r.status;
      },
      { key: fx.keys['viewer-default'], doc },
    );
    expect(put).toBe(403);
  });

  it('saves a screenshot of every view for an admin', async () => {
    const page = await open('admin-all');
    await page.locator('[data-model="resnet"] .uplot').waitFor({ timeout: 30_000 });
    await screenshot(page, 'admin-models');
    await page.goto(`${fx.url}/ui#proxies`);
    // Four proxies, one of them showing the routes it refused with the client's own text.
    await expect
      .poll(() => page.locator('[data-proxies]').getAttribute('data-proxies'), { timeout: 30_000 })
      .toBe('4');
    await expect
      .poll(() => page.locator('[data-node="console-nacker-0"] .nack-text').textContent(), {
        timeout: 30_000,
      })
      .toContain('total weight 0');
    await screenshot(page, 'proxies');
    await page.goto(`${fx.url}/ui#revisions`);
    await page.locator('table.audit tbody tr').first().waitFor({ timeout: 30_000 });
    await page.locator('[data-policy="default/resnet"]').click();
    // Has the live revision reached the proxies? Not all: one refused it, with its own text.
    await expect
      .poll(() => page.locator('[data-sync-state]').getAttribute('data-sync-state'), { timeout: 30_000 })
      .toBe('failed');
    expect(await page.locator('[data-nack-node="console-nacker-0"]').textContent()).toContain(
      'total weight 0',
    );
    // The diff is fetched on its own after the click: wait for its lines as for the rest.
    await expect.poll(() => page.locator('pre.diff .add').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await screenshot(page, 'revisions');
    await page.goto(`${fx.url}/ui#rollouts`);
    await page.locator('[data-rollouts]').waitFor();
    await screenshot(page, 'rollouts');
    const pushed = await fetch(`${fx.url}/api/v1/models/vision/versions/1`, {
      method: 'PUT',
      body: modelFile('convnet'),
      headers: { ...admin(), [PUSH_META_HEADER]: encodePushMeta({ regions: ['eu-west'] }) },
    });
    expect(pushed.status).toBe(201);
    await page.goto(`${fx.url}/ui#registry`);
    const row = page.locator('[data-registry-version="vision:1"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td').nth(4).textContent()).toBe('eu-west');
    await screenshot(page, 'registry');
  });
});
