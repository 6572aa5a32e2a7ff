// The console as a SMART app of its own server (NIMBUS_AUTH=smart), in a real browser: it offers
// to sign in, the fhirclient library sends the browser to the server's authorization page (the
// built-in public client `nimbus-console`, PKCE), the user signs in and allows, and back in the
// console the FHIR calls carry the token: the patient search answers. No console error and no
// failed request on the way, apart from none at all; the login page is checked with axe too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { MAIN, startServerProcess, waitForExit, type ServerProcess } from '../support/process';
import { accessibilityViolations, findChromium, launch, screenshot, watchedPage } from '../support/browser';

const chromium = findChromium();
if (!chromium.path) console.warn(`[console SMART sign-in test] SKIPPED: ${chromium.reason}`);
const suite = chromium.path ? describe : describe.skip;
jest.setTimeout(150_000);
const PASSWORD = 'correct horse battery staple';

suite('web console as a SMART app (NIMBUS_AUTH=smart)', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-console-smart-'));
    const env = { ...process.env, NIMBUS_DATA_DIR: dataDir, NIMBUS_AUTH: 'smart', NIMBUS_LOG_LEVEL: 'warn' };
    execFileSync(process.execPath, [MAIN, 'users', 'add', '--username', 'drconsole', '--fhir-user', 'Practitioner/pract-1', '--role', 'practitioner'], { env, input: `${PASSWORD}\n` });
    server = await startServerProcess({ NIMBUS_DATA_DIR: dataDir, NIMBUS_AUTH: 'smart' }, 120_000, ['--demo=3']);
    browser = await launch(chromium.path!);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('signs in through the server\'s authorization page and calls FHIR with the token', async () => {
    const origin = new URL(server.baseUrl).origin;
    const w = await watchedPage(browser);
    try {
      await w.page.goto(`${origin}/console/#/patients`);
      await w.page.getByRole('button', { name: 'Sign in' }).click();
      await w.page.waitForURL((url) => url.pathname.includes('/authorize'));
      await w.page.getByLabel('User name').fill('drconsole');
      await w.page.getByLabel('Password').fill(PASSWORD);
      expect(await accessibilityViolations(w.page)).toEqual([]);
      await w.page.locator('form button[type="submit"]').first().click();
      // The consent page (when the server shows one) is allowed.
      const allow = w.page.getByRole('button', { name: 'Allow' });
      await Promise.race([allow.waitFor().then(() => allow.click()), w.page.waitForURL((url) => url.pathname.startsWith('/console/'))]);
      await w.page.waitForURL((url) => url.pathname.startsWith('/console/') && !url.search.includes('code='));
      await w.page.getByText('Sign out').waitFor();
      expect(await w.page.locator('header .who').textContent()).toContain('Practitioner/pract-1');
      // FHIR calls now carry the token: anonymous ones would be refused.
      expect((await fetch(`${server.baseUrl}/Patient`)).status).toBe(401);
      await w.page.getByRole('button', { name: 'Search' }).click();
      await w.page.locator('ul.results li a').first().waitFor();
      await screenshot(w.page, '10-smart-signed-in');
      expect(w.problems).toEqual([]);
      expect(await accessibilityViolations(w.page)).toEqual([]);
      // Every page works signed in: no refusal, no error on the way.
      await w.page.locator('ul.results li a').first().click();
      await w.page.locator('figure.chart').first().waitFor();
      for (const name of ['Dashboards', 'Scheduling', 'Operations', 'Playground']) {
        await w.page.getByRole('link', { name }).click();
        await w.page.waitForFunction((n) => document.querySelector('main h1')?.textContent?.startsWith(n === 'Playground' ? 'Request playground' : n), name);
        await w.page.waitForLoadState('networkidle');
      }
      await w.page.getByRole('button', { name: 'Send' }).click();
      await w.page.locator('[data-status="200"]').waitFor();
      expect(w.problems).toEqual([]);
    } finally {
      await w.context.close();
    }
  });
});
