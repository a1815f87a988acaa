// A control plane started without an auth config lets every caller in as admin (local
// development: docs/OPERATIONS.md, "Authentication"); the console follows the API there too and
// shows its data without a sign-in, as the anonymous caller it is.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneFixture, modelRouteYaml, startControlPlane } from '../helpers/control-plane.js';
import { buildConsole, chromiumMissing, launchChromium } from './browser.js';

const missing = chromiumMissing();
if (missing) process.stderr.write(`console browser tests skipped: ${missing}\n`);

describe.skipIf(missing !== undefined)('web console without an auth config', () => {
  let fx: ControlPlaneFixture;
  let browser: Browser;

  beforeAll(async () => {
    buildConsole();
    fx = await startControlPlane({
      'resnet.yaml': modelRouteYaml('resnet', { v1: [90, 9001], v2: [10, 9002] }),
    });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('shows the data to the anonymous caller the API lets in, and offers to sign in', async () => {
    const page = await browser.newPage();
    await page.goto(`${fx.adminUrl}/ui`);
    await expect
      .poll(() => page.locator('[data-split="resnet"] [data-version="v2"]').getAttribute('data-share'), {
        timeout: 30_000,
      })
      .toBe('10');
    expect(await page.locator('[data-principal]').getAttribute('data-principal')).toBe('anonymous');
    expect(await page.locator('form.login').count()).toBe(0);
    await page.locator('button', { hasText: 'sign in' }).click();
    await page.locator('form.login').waitFor();
    await page.close();
  });
});
