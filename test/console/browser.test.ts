// The web console in a real browser (headless chromium) against a real server process started
// with `serve --demo` (generated patients): find a patient, open the chart and check the charts
// drew exactly the API's data points, open the dashboards and compare a figure with the server's
// own answer, book a slot and see it booked through the API, run a job to completion, use the
// playground, and work at 320 px and from the keyboard. The dashboards' strata (per schedule, per
// encounter class, per month, per service) are checked against the server's MeasureReports, and
// the /docs page (Swagger UI) gets the same accessibility check, opened and closed. Any console error, uncaught exception or
// failed request fails the test, and so does any serious or critical axe-core violation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServerProcess, waitForExit, type ServerProcess } from '../support/process';
import { accessibilityViolations, findChromium, launch, screenshot, watchedPage, type Watched } from '../support/browser';

const chromium = findChromium();
const CONSOLE_BUILT = fs.existsSync(path.resolve(__dirname, '..', '..', 'dist', 'console', 'index.html'));
if (!chromium.path) console.warn(`[console browser tests] SKIPPED: ${chromium.reason}`);

const suite = chromium.path ? describe : describe.skip;
jest.setTimeout(150_000);

suite('web console in a real browser (chromium)', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let origin: string;
  let w: Watched;

  const api = async (url: string, init?: RequestInit) => {
    const res = await fetch(url.startsWith('http') ? url : `${server.baseUrl}/${url}`, { ...init, headers: { Accept: 'application/fhir+json', ...(init?.headers ?? {}) } });
    return { status: res.status, body: await res.json() };
  };

  /** Checks the page as it is now: no problem seen so far, no serious axe violation; screenshots it. */
  const checkPage = async (name: string) => {
    await screenshot(w.page, name);
    expect(w.problems).toEqual([]);
    expect(await accessibilityViolations(w.page)).toEqual([]);
  };

  beforeAll(async () => {
    // Not a skip: a checkout whose build did not produce the console is broken.
    if (!CONSOLE_BUILT) throw new Error('dist/console is missing: `npm run build` builds the console');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-console-'));
    server = await startServerProcess({ NIMBUS_DATA_DIR: dataDir }, 120_000, ['--demo=12']);
    origin = new URL(server.baseUrl).origin;
    browser = await launch(chromium.path!);
    w = await watchedPage(browser);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const heading = (page: Page) => page.locator('main h1');

  test('the checks themselves catch what they look for (a bad page fails them)', async () => {
    const bad = await watchedPage(browser);
    try {
      await bad.page.goto(`${origin}/console/no-such-file.js`);
      await bad.page.setContent('<html><body><input type="text"><img src="data:,"></body></html>');
      await bad.page.evaluate(() => console.error('boom'));
      expect(bad.problems.some((p) => p.startsWith('HTTP 404'))).toBe(true);
      expect(bad.problems.some((p) => p.includes('console error: boom'))).toBe(true);
      const violations = await accessibilityViolations(bad.page);
      expect(violations.some((v) => v.includes('critical label'))).toBe(true);
      expect(violations.some((v) => v.includes('image-alt'))).toBe(true);
    } finally {
      await bad.context.close();
    }
  });

  test('finds a patient and draws their chart with the API\'s data points', async () => {
    // A patient with blood pressures, HbA1c and weights, chosen through the API.
    const a1c = await api('Observation?code=http://loinc.org|4548-4&_count=1');
    const patientId = a1c.body.entry[0].resource.subject.reference.split('/')[1];
    const patient = (await api(`Patient/${patientId}`)).body;
    const family = patient.name[0].family as string;

    await w.page.goto(`${origin}/console/`);
    await expect(heading(w.page).textContent()).resolves.toBe('Patients');
    await w.page.getByLabel('Name').fill(family);
    await w.page.getByRole('button', { name: 'Search' }).click();
    const link = w.page.locator(`a[href="#/patient/${patientId}"]`);
    await link.waitFor();
    await checkPage('01-patient-search');
    await link.click();
    await w.page.locator('.banner h1').waitFor();
    expect(await w.page.locator('.banner h1').textContent()).toContain(family);

    const counts = async (code: string) => (await api(`Observation?patient=${patientId}&code=http://loinc.org|${code}&_summary=count`)).body.total as number;
    const bp = await counts('85354-9');
    const hba1c = await counts('4548-4');
    const weight = await counts('29463-7');
    expect(hba1c).toBeGreaterThan(0);
    const drawn = (title: string) => w.page.locator('figure.chart', { hasText: title }).first();
    // data-drawn is set by uPlot's draw hook: the canvas was painted with that many points.
    for (const [title, expected] of [['Blood pressure', 2 * bp], ['HbA1c', hba1c], ['Body weight', weight]] as const) {
      if (expected === 0) continue;
      await drawn(title).and(w.page.locator('[data-drawn]')).waitFor();
      expect(Number(await drawn(title).getAttribute('data-drawn'))).toBe(expected);
    }
    // Units and reference ranges from the Observations are in the caption; hovering shows a value.
    expect(await drawn('HbA1c').locator('figcaption').textContent()).toMatch(/%.*reference range 4–5\.6 %/);
    const box = (await drawn('HbA1c').locator('.u-over').boundingBox())!;
    await w.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect(drawn('HbA1c').locator('.u-legend').textContent()).resolves.toMatch(/\d %/);
    // The timeline lists the record.
    await w.page.locator('ol.timeline li').first().waitFor();
    await checkPage('02-patient-chart');
  });

  test('draws the dashboards from the server\'s own figures', async () => {
    await w.page.getByRole('link', { name: 'Dashboards' }).click();
    await w.page.locator('figure.chart[data-drawn]', { hasText: 'score over the 12 months' }).first().waitFor({ timeout: 90_000 });
    await w.page.locator('figure.chart[data-drawn]', { hasText: 'HbA1c: mean by age band' }).waitFor({ timeout: 90_000 });
    // The figures shown are the server's: compare the measure's numerator with $evaluate-measure.
    const period = (await w.page.locator('main p.muted', { hasText: 'computed by the server' }).textContent())!;
    const [, from, to] = /(\d{4}-\d{2}) to (\d{4}-\d{2})/.exec(period)!;
    const [y, m] = to.split('-').map(Number);
    const end = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    const report = (await api(`Measure/diabetes-hba1c-poor-control/$evaluate-measure?periodStart=${from}-01&periodEnd=${end}`)).body;
    const numerator = report.group[0].population.find((p: any) => p.code.coding[0].code === 'numerator').count;
    const shown = w.page.locator('.measure[data-measure="diabetes-hba1c-poor-control"] dl.figures div', { hasText: 'numerator' }).locator('dd');
    expect(await shown.textContent()).toBe(String(numerator));

    // The strata are the server's too. Slot utilisation by schedule: a row per stratum of the
    // report, named (not the bare reference), with the reported score and denominator.
    const evaluate = async (id: string) => (await api(`Measure/${id}/$evaluate-measure?periodStart=${from}-01&periodEnd=${end}`)).body;
    const slots = (await evaluate('slot-utilisation')).group[0].stratifier[0].stratum as any[];
    expect(slots.length).toBeGreaterThan(1);
    const bySchedule = w.page.locator('.measure[data-measure="slot-utilisation"] figure.strata[data-stratifier="schedule"]');
    await bySchedule.waitFor();
    expect(await bySchedule.locator('tbody tr').count()).toBe(slots.length);
    expect(Number(await bySchedule.getAttribute('data-strata'))).toBe(slots.filter((st) => st.measureScore).length);
    expect(await bySchedule.locator('span.bar').count()).toBe(slots.filter((st) => st.measureScore).length);
    const busiest = slots.filter((st) => st.measureScore).sort((a, b) => count(b, 'denominator') - count(a, 'denominator'))[0];
    const row = bySchedule.locator(`tr[data-stratum="${busiest.value.text}"]`);
    expect(await row.locator('.value').textContent()).toBe(`${(busiest.measureScore.value * 100).toFixed(1)} %`);
    expect(await row.locator('td.num').textContent()).toBe(String(count(busiest, 'denominator')));
    expect(await row.locator('th').textContent()).not.toContain('Schedule/');

    // Length of stay by encounter class (a quantity in hours), each class named by its display.
    const los = (await evaluate('encounter-length-of-stay')).group[0].stratifier[0].stratum as any[];
    const byClass = w.page.locator('.measure[data-measure="encounter-length-of-stay"] figure.strata[data-stratifier="class"]');
    expect(await byClass.locator('tbody tr').count()).toBe(los.length);
    expect(await byClass.locator('tr[data-stratum$="|AMB"] th').textContent()).toBe('ambulatory');

    // No-show rate by month (bars over the period's months) and the trend split by service type
    // (one line per service next to the overall one), both drawn with the report's points.
    const noShow = (await evaluate('appointment-no-show-rate')).group[0].stratifier as any[];
    const months = noShow.find((s) => s.id === 'month').stratum.filter((st: any) => st.measureScore);
    const byMonth = w.page.locator('.measure[data-measure="appointment-no-show-rate"] figure.chart[data-drawn]', { hasText: 'by month of the appointment' });
    await byMonth.waitFor();
    expect(Number(await byMonth.getAttribute('data-drawn'))).toBe(months.length);
    const services = noShow.find((s) => s.id === 'service-type').stratum.filter((st: any) => st.measureScore);
    // (2 to 6 services get a line each; with more the lines would be unreadable and the bars carry them.)
    const lines = services.length >= 2 && services.length <= 6 ? services.length : 0;
    const trend = w.page.locator('.measure[data-measure="appointment-no-show-rate"] figure.chart[data-drawn]', { hasText: 'score over the 12 months' });
    await trend.waitFor();
    expect(await trend.locator('figcaption').textContent()).toContain(lines ? 'by service type' : 'each month');
    expect(await trend.locator('thead th').count()).toBe(1 + 1 + lines);
    expect(Number(await trend.getAttribute('data-drawn'))).toBeGreaterThan(0);
    await checkPage('03-dashboards');

    // The period picker: over the last 24 months the strata are those of the new period's report.
    const now = new Date();
    const from24 = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 23, 1)).toISOString().slice(0, 7);
    await w.page.getByRole('button', { name: 'Last 24 months' }).click();
    await w.page.locator('main p.muted', { hasText: `${from24} to ${to}` }).waitFor();
    const months24 = (await api(`Measure/appointment-no-show-rate/$evaluate-measure?periodStart=${from24}-01&periodEnd=${end}`)).body.group[0].stratifier.find((s: any) => s.id === 'month').stratum.filter((st: any) => st.measureScore).length;
    expect(months24).toBeGreaterThan(months.length);
    await w.page.waitForFunction(
      (n) =>
        [...document.querySelectorAll('.measure[data-measure="appointment-no-show-rate"] figure.chart[data-drawn]')].some(
          (f) => f.querySelector('figcaption')?.textContent?.includes('by month of the appointment') && f.getAttribute('data-points') === String(n),
        ),
      months24,
      { timeout: 120_000 },
    );
    expect(await w.page.locator('.measure[data-measure="appointment-no-show-rate"] figure.chart', { hasText: 'by month of the appointment' }).getAttribute('data-points')).toBe(String(months24));
    expect(w.problems).toEqual([]);
  });

  const count = (stratum: any, code: string) => stratum.population.find((p: any) => p.code.coding[0].code === code)?.count ?? 0;

  test('finds, holds and books a slot, booked as seen through the API, then cancels it', async () => {
    const patientId = (await api('Patient?_count=1')).body.entry[0].resource.id;
    await w.page.getByRole('link', { name: 'Scheduling' }).click();
    await w.page.locator('select[name="service"] option').nth(1).waitFor({ state: 'attached' });
    await w.page.getByLabel('Patient id').fill(patientId);
    await w.page.locator('select[name="location"]').selectOption({ index: 1 });
    await w.page.getByLabel('Within (km)').fill('200');
    await w.page.getByRole('button', { name: 'Find slots' }).click();
    await w.page.locator('table.slots tbody tr').first().waitFor();
    await checkPage('04-scheduling-found');
    await w.page.locator('table.slots tbody tr').first().getByRole('button', { name: /^Hold/ }).click();
    await w.page.locator('[data-state="held"]').waitFor();
    await w.page.getByRole('button', { name: 'Book' }).click();
    const booked = w.page.locator('[data-state="booked"]');
    await booked.waitFor();
    const id = await booked.getAttribute('data-appointment');
    const stored = (await api(`Appointment/${id}`)).body;
    expect(stored.status).toBe('booked');
    expect(stored.participant.some((p: any) => p.actor?.reference === `Patient/${patientId}`)).toBe(true);
    const slot = (await api(stored.slot[0].reference)).body;
    expect(slot.status).toBe('busy');
    await checkPage('05-scheduling-booked');
    await w.page.getByRole('button', { name: 'Cancel appointment' }).click();
    await w.page.locator('[data-state="cancelled"]').waitFor();
    expect((await api(`Appointment/${id}`)).body.status).toBe('cancelled');
  });

  test('runs a job to completion with its progress shown, and shows the audit log section', async () => {
    await w.page.getByRole('link', { name: 'Operations' }).click();
    await w.page.getByRole('button', { name: 'Start a $reindex' }).click();
    const job = w.page.locator('ul.jobs li').first();
    await job.locator('progress').waitFor();
    await w.page.locator('ul.jobs li[data-state="completed"]').first().waitFor({ timeout: 90_000 });
    expect(await w.page.locator('ul.jobs li[data-state="completed"]').first().textContent()).toMatch(/completed: reindexed \d+/);
    expect(await w.page.locator('ul.jobs li[data-state="completed"] progress').first().getAttribute('value')).toBe('100');
    await w.page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await checkPage('06-operations');
  });

  test('sends a request from the playground', async () => {
    await w.page.getByRole('link', { name: 'Playground' }).click();
    await w.page.getByLabel(/^URL/).fill('Patient?_count=1');
    await w.page.getByRole('button', { name: 'Send' }).click();
    await w.page.locator('[data-status="200"]').waitFor();
    expect(await w.page.locator('pre.response').textContent()).toContain('"resourceType": "Bundle"');
    await checkPage('07-playground');
  });

  test('is usable from the keyboard', async () => {
    await w.page.goto('about:blank');
    await w.page.goto(`${origin}/console/#/patients`);
    await heading(w.page).waitFor();
    await w.page.keyboard.press('Tab');
    expect(await w.page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // Tab to the Scheduling link and follow it: the new page's heading takes the focus.
    for (let i = 0; i < 10; i++) {
      await w.page.keyboard.press('Tab');
      if ((await w.page.evaluate(() => document.activeElement?.textContent)) === 'Scheduling') break;
    }
    await w.page.keyboard.press('Enter');
    await w.page.waitForFunction(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Scheduling');
    expect(w.problems).toEqual([]);
  });

  test('is readable at 320 px wide: no page wider than the screen', async () => {
    const narrow = await watchedPage(browser, { width: 320, height: 800 });
    try {
      const patientId = (await api('Observation?code=http://loinc.org|29463-7&_count=1')).body.entry[0].resource.subject.reference.split('/')[1];
      for (const hash of [`#/patient/${patientId}`, '#/dashboards', '#/scheduling', '#/operations', '#/playground']) {
        await narrow.page.goto(`${origin}/console/${hash}`);
        await narrow.page.locator('main h1').waitFor();
        await narrow.page.waitForLoadState('networkidle');
        const width = await narrow.page.evaluate(() => document.documentElement.scrollWidth);
        expect({ hash, width }).toEqual({ hash, width: 320 });
        await screenshot(narrow.page, `08-narrow-${hash.split('/')[1]}`);
      }
      expect(narrow.problems).toEqual([]);
    } finally {
      await narrow.context.close();
    }
  });

  test('shows CDS Hooks patient-view cards on the chart when the server has CDS services', async () => {
    // Until this server's CDS Hooks services land, the browser is answered with CDS Hooks 2.0
    // shapes by the test (features.json says they exist; discovery and the service call are played).
    const cds = await watchedPage(browser);
    const calls: any[] = [];
    try {
      await cds.page.route('**/console/features.json', async (route) => {
        const real = await (await route.fetch()).json();
        await route.fulfill({ json: { ...real, cdsHooks: true } });
      });
      await cds.page.route('**/cds-services', (route) => route.fulfill({ json: { services: [{ id: 'readmission-risk', hook: 'patient-view', title: 'Readmission risk', description: 'd' }, { id: 'other', hook: 'order-select', description: 'd' }] } }));
      await cds.page.route('**/cds-services/readmission-risk', async (route) => {
        calls.push(route.request().postDataJSON());
        await route.fulfill({ json: { cards: [{ summary: 'High 30-day readmission risk (0.42)', indicator: 'warning', detail: 'Three admissions in the last year', source: { label: 'Nimbus risk model' } }] } });
      });
      const patientId = (await api('Patient?_count=1')).body.entry[0].resource.id;
      await cds.page.goto(`${origin}/console/#/patient/${patientId}`);
      const card = cds.page.locator('li.risk.warning');
      await card.waitFor();
      expect(await card.textContent()).toContain('High 30-day readmission risk (0.42)');
      expect(await card.textContent()).toContain('Nimbus risk model');
      // Only the patient-view service is called, with the hook's context.
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ hook: 'patient-view', context: { patientId } });
      // No fhirServer: the service reads this server with the console's own credentials.
      expect(calls[0].fhirServer).toBeUndefined();
      expect(calls[0].hookInstance).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(cds.problems).toEqual([]);
      expect(await accessibilityViolations(cds.page)).toEqual([]);
    } finally {
      await cds.context.close();
    }
  });

  test('opens the API docs page when the server has one', async () => {
    const features = await (await fetch(`${origin}/console/features.json`)).json();
    if (!features.docs) {
      console.warn('[console browser tests] /docs step SKIPPED: this server has no /docs page (features.json says docs: false)');
      return;
    }
    await w.page.goto(`${origin}/docs`);
    await w.page.waitForLoadState('networkidle');
    await w.page.locator('h3.opblock-tag').first().waitFor();
    await checkPage('09-docs');
    // An opened tag lists its operations (method badges, buttons that open them): checked as well.
    // (Opening an operation resolves its part of the multi-megabyte document in the browser, tens
    // of seconds of CPU on a loaded machine: docs/console.md says how that state was checked.)
    await w.page.locator('h3.opblock-tag').first().click();
    await w.page.locator('.opblock-summary-method').first().waitFor();
    await checkPage('10-docs-tag');
  });
});
