// Debian's Chromium driven by playwright-core (no browser download: `make chromium` installs the
// package), the console bundle built fresh, and the steps every console test takes: open /ui,
// sign in through the form, save a screenshot under test/console/artifacts (git-ignored).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

/** Why the browser suites cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} is missing: run 'make chromium' (Debian's chromium package) to run the console's browser tests`;
}

export function buildConsole(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, ['--import', 'tsx', 'control-plane/console/build.ts'], {
    cwd: root,
    stdio: 'pipe',
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/** Opens /ui in a fresh context and signs in with `credential` through the login form. */
export async function signIn(browser: Browser, url: string, credential: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/ui`);
  await page.locator('form.login input[name=credential]').fill(credential);
  await page.locator('form.login button[type=submit]').click();
  await page.locator('[data-status=connected]').waitFor({ timeout: 30_000 });
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}
