#!/usr/bin/env node
// `npm run console:screenshots`: the README's pictures of the web console. Starts the built server
// on a free loopback port over a temporary store with `--demo` data, opens the console in headless
// chromium (Debian's, driven by playwright-core) and writes docs/console-chart.png and
// docs/console-dashboard.png (and docs/console-docs.png when the server has a /docs page).
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const root = path.resolve(__dirname, '..');
const docs = path.join(root, 'docs');

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // try the next name
    }
  }
  throw new Error("no chromium on PATH: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH");
}

function startServer(dataDir) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'main.js'), 'serve', '--demo=40'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', NIMBUS_DATA_DIR: dataDir, NIMBUS_AUTH: 'off', NIMBUS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready at (http:\/\/\S+)\/fhir/.exec(out);
      if (m) resolve({ child, origin: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-screenshots-'));
  console.error('console:screenshots: starting a server with demo data…');
  const { child, origin } = await startServer(dataDir);
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    // A patient with HbA1c results: the richest chart.
    const bundle = await (await fetch(`${origin}/fhir/Observation?code=http://loinc.org|4548-4&_count=50`)).json();
    const counts = new Map();
    for (const e of bundle.entry ?? []) counts.set(e.resource.subject.reference, (counts.get(e.resource.subject.reference) ?? 0) + 1);
    const patient = [...counts].sort((a, b) => b[1] - a[1])[0][0].split('/')[1];

    await page.goto(`${origin}/console/#/patient/${patient}`);
    await page.locator('figure.chart[data-drawn]').nth(2).waitFor({ timeout: 30000 });
    await page.locator('ol.timeline li').first().waitFor();
    // The banner and the charts, and the start of the timeline.
    const timeline = await page.locator('ol.timeline').boundingBox();
    await page.screenshot({ path: path.join(docs, 'console-chart.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.round(timeline.y + 240) } });

    await page.goto(`${origin}/console/#/dashboards`);
    await page.locator('figure.chart[data-drawn]', { hasText: 'HbA1c: mean by age band' }).waitFor({ timeout: 60000 });
    await page.locator('figure.chart[data-drawn]', { hasText: 'score over the 12 months' }).first().waitFor({ timeout: 60000 });
    // The period picker and the first three measures with their strata (the whole page is
    // several thousand pixels tall): groups, trend lines per stratum, bars per stratum and month.
    await page.locator('figure.strata[data-strata]').first().waitFor({ timeout: 60000 });
    const measures = page.locator('.measure');
    const last = await measures.nth(Math.min(2, (await measures.count()) - 1)).boundingBox();
    await page.screenshot({ path: path.join(docs, 'console-dashboard.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.round(last.y + last.height + 16) } });

    const features = await (await fetch(`${origin}/console/features.json`)).json();
    if (features.docs) {
      await page.goto(`${origin}/docs`);
      await page.waitForLoadState('networkidle');
      await page.locator('h3.opblock-tag').first().waitFor({ timeout: 120000 });
      // Swagger UI lays out a multi-megabyte document: slow on a loaded machine.
      await page.screenshot({ path: path.join(docs, 'console-docs.png'), timeout: 120000 });
    } else {
      console.error('console:screenshots: this server has no /docs page; docs/console-docs.png not taken');
    }
    console.error('console:screenshots: wrote docs/console-chart.png and docs/console-dashboard.png');
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`console:screenshots: ${e.message}`);
  process.exit(1);
});
