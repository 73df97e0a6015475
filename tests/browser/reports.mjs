// Real-browser look at the reports page, driven by tests/browser.rs:
//
//   node reports.mjs BASE_URL SCREENSHOT_DIR
//
// An administrator of the demo data logs in, opens /admin/reports in French and in Dutch,
// checks every report has its table and (but the list of breaches) its accessible SVG chart,
// and saves full-page screenshots reports-fr.png and reports-nl.png. Any failed check throws,
// so the process exits non-zero.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './chromium.mjs';

const STEP_TIMEOUT_MS = 15_000;
const TOTAL_TIMEOUT_MS = 90_000;
const PASSWORD = 'demo-centrale-2026';
const REPORTS = ['members', 'months', 'products', 'lots', 'ranks', 'suppliers', 'service', 'breaches'];
const RUNS = [
  { lang: 'fr', email: 'isabelle.marchal@centrale.example', heading: 'Rapports', months: 'Commandes et ventes par mois' },
  { lang: 'nl', email: 'pieter.claes@centrale.example', heading: 'Rapporten', months: 'Bestellingen en verkoop per maand' },
];

const [baseArg, shotDir] = process.argv.slice(2);
if (!baseArg || !shotDir) {
  console.error('usage: node reports.mjs BASE_URL SCREENSHOT_DIR');
  process.exit(64);
}
const BASE = baseArg.replace(/\/+$/, '');
mkdirSync(shotDir, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const watchdog = setTimeout(() => {
  console.error(`reports: gave up after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(124);
}, TOTAL_TIMEOUT_MS);

async function walk(browser, run) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: `${run.lang}-BE` });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  await page.goto(`${BASE}/login?lang=${run.lang}`);
  await page.fill('#email', run.email);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
  await page.goto(`${BASE}/admin/reports?lang=${run.lang}`);
  check((await page.getAttribute('html', 'lang')) === run.lang, 'page language');
  check((await page.locator('h1').innerText()).trim() === run.heading, 'heading');
  for (const name of REPORTS) {
    const table = page.locator(`#table-${name}`);
    check((await table.count()) === 1, `table ${name}`);
    check((await table.locator('caption').innerText()).trim().length > 0, `caption of ${name}`);
    const chart = page.locator(`svg#chart-${name}`);
    if (name === 'breaches') continue;
    check((await chart.count()) === 1, `chart ${name}`);
    check((await chart.getAttribute('role')) === 'img', `chart ${name} role`);
    check((await chart.locator('title').first().textContent()).trim().length > 0, `chart ${name} title`);
    check((await chart.locator('desc').textContent()).trim().length > 0, `chart ${name} desc`);
    const box = await chart.boundingBox();
    check(box && box.width > 100 && box.height > 40, `chart ${name} is drawn`);
  }
  check((await page.locator('#chart-months title').first().textContent()) === run.months, 'months chart title');
  await page.screenshot({ path: join(shotDir, `reports-${run.lang}.png`), fullPage: true, timeout: STEP_TIMEOUT_MS });
  check(problems.length === 0, `browser reported problems:\n  ${problems.join('\n  ')}`);
  console.log(`${run.lang}: ${REPORTS.length} reports with tables and charts`);
  await context.close();
}

let browser;
let failed = false;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: STEP_TIMEOUT_MS * 2,
  });
  for (const run of RUNS) await walk(browser, run);
  console.log('reports: all checks passed');
} catch (error) {
  failed = true;
  console.error(`reports failed: ${error?.message ?? error}`);
} finally {
  await browser?.close().catch(() => {});
  clearTimeout(watchdog);
}
process.exit(failed ? 1 : 0);
