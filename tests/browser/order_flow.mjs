// Real-browser walk through ordering, driven by tests/browser.rs:
//
//   node order_flow.mjs BASE_URL SCREENSHOT_DIR
//
// For French and for Dutch, an institution user logs in, adds products to the cart, checks
// out and opens the new order; every step is checked in headless Chromium and saved as a
// full-page screenshot (fr-1-login.png … nl-5-order.png). Any failed check throws, so the
// process exits non-zero. Needs Debian's chromium at /usr/bin/chromium (or $CHROMIUM) and
// `npm ci` in this folder (playwright-core never downloads a browser).

import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './chromium.mjs';

const STEP_TIMEOUT_MS = 15_000;
const TOTAL_TIMEOUT_MS = 120_000;
const PASSWORD = 'demo-centrale-2026';

const RUNS = [
  {
    lang: 'fr',
    email: 'direction@lestilleuls.example',
    institution: 'Maison de repos et de soins Les Tilleuls',
    // Two lots, so checkout splits the cart into two orders.
    products: [
      { sku: 'FFP2-NR-BX20', lot: 'CA-EPI-2025-01', quantity: 3 },
      { sku: 'NIT-EXAM-M-BX100', lot: 'CA-EPI-2025-03', quantity: 20 },
    ],
    buyerReference: 'BC-E2E-FR-001',
    skipLink: 'Aller au contenu',
    orderHeading: 'Commande CMD-',
    newBadge: 'nouvelle',
  },
  {
    lang: 'nl',
    email: 'lies.vermeulen@thuiszorgbrusselnoord.example',
    institution: 'Thuiszorgdienst Brussel-Noord vzw',
    products: [{ sku: 'FFP2-NR-BX20', lot: 'CA-EPI-2025-01', quantity: 5 }],
    buyerReference: 'BB-E2E-NL-001',
    // The second delivery address ("Antenne Jette"), to exercise the select.
    deliveryIndex: 1,
    skipLink: 'Naar de inhoud',
    orderHeading: 'Bestelling CMD-',
    newBadge: 'nieuw',
  },
];

const [baseArg, shotDir] = process.argv.slice(2);
if (!baseArg || !shotDir) {
  console.error('usage: node order_flow.mjs BASE_URL SCREENSHOT_DIR');
  process.exit(64);
}
const BASE = baseArg.replace(/\/+$/, '');
mkdirSync(shotDir, { recursive: true });

// Message identifiers of the Fluent files: a missing translation shows up as its key.
const here = dirname(fileURLToPath(import.meta.url));
const MESSAGE_KEYS = new Set();
for (const lang of ['fr', 'nl']) {
  try {
    const ftl = readFileSync(join(here, '..', '..', 'templates', 'i18n', `${lang}.ftl`), 'utf8');
    for (const match of ftl.matchAll(/^([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\s*=/gm)) {
      MESSAGE_KEYS.add(match[1]);
    }
  } catch {
    // Outside the repository: skip this check.
  }
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

function log(line) {
  console.log(line);
}

const watchdog = setTimeout(() => {
  console.error(`order_flow: gave up after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(124);
}, TOTAL_TIMEOUT_MS);

/** Checks every page: language, no raw message keys, no server errors. */
async function checkPage(page, run, what) {
  const lang = await page.getAttribute('html', 'lang');
  check(lang === run.lang, `${what}: <html lang> is "${lang}", expected "${run.lang}"`);
  const text = await page.locator('body').innerText();
  const rawKeys = [...new Set(text.split(/[^a-z0-9-]+/).filter((w) => MESSAGE_KEYS.has(w)))];
  check(rawKeys.length === 0, `${what}: untranslated message keys on the page: ${rawKeys.join(', ')}`);
  const title = await page.title();
  check(title.trim().length > 0, `${what}: page has no <title>`);
}

async function screenshot(page, run, step, name) {
  const file = join(shotDir, `${run.lang}-${step}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT_MS });
  return file;
}

async function walk(browser, run) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: run.lang === 'fr' ? 'fr-BE' : 'nl-BE',
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    // A request the browser itself abandons because the page moved on (typically the
    // favicon while a form posts) is not a fault of the shop.
    if (reason.includes('ERR_ABORTED')) return;
    problems.push(`request failed: ${request.url()} (${reason})`);
  });
  try {
    await steps(page, run, problems);
  } catch (error) {
    // Leave a picture of where it went wrong next to the step screenshots.
    await page
      .screenshot({ path: join(shotDir, `${run.lang}-failure.png`), fullPage: true, timeout: STEP_TIMEOUT_MS })
      .catch(() => {});
    throw new Error(`[${run.lang}] at ${page.url()}: ${error.message}`, { cause: error });
  } finally {
    await context.close();
  }
}

async function steps(page, run, problems) {
  const tag = `[${run.lang}]`;

  // 1. Login page, keyboard first: Tab lands on the skip link.
  await page.goto(`${BASE}/login?lang=${run.lang}`);
  await checkPage(page, run, 'login');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el?.tagName, cls: el?.className, text: el?.textContent?.trim(), href: el?.getAttribute('href') };
  });
  check(
    focused.tag === 'A' && focused.href === '#main' && focused.text === run.skipLink,
    `login: first Tab should focus the skip link "${run.skipLink}", got ${JSON.stringify(focused)}`,
  );
  const skipBox = await page.locator('a.skip-link').boundingBox();
  check(skipBox && skipBox.y >= 0 && skipBox.width > 0, 'login: focused skip link is not visible on screen');
  await page.keyboard.press('Enter');
  const mainFocused = await page.evaluate(() => document.activeElement?.id);
  check(mainFocused === 'main', `login: skip link should move focus to #main, got "${mainFocused}"`);
  await page.fill('#email', run.email);
  await page.fill('#password', PASSWORD);
  await screenshot(page, run, 1, 'login');
  await Promise.all([
    page.waitForURL(/\/catalogue(\?|$)/),
    page.click('form[action="/login"] button[type="submit"]'),
  ]);
  await checkPage(page, run, 'catalogue');
  const signedIn = await page.locator('.signed-in').innerText();
  check(signedIn.trim().length > 0, 'catalogue: signed-in user name missing from the header');
  log(`${tag} 1 login: signed in as ${run.email} (${signedIn.trim()}), landed on ${new URL(page.url()).pathname}`);

  // 2. Product pages: set quantity, add to cart.
  for (const [index, product] of run.products.entries()) {
    await page.goto(`${BASE}/products/${product.sku}`);
    await checkPage(page, run, `product ${product.sku}`);
    const quantity = page.locator('form.add-to-cart #quantity');
    const min = Number(await quantity.getAttribute('min'));
    const step = Number(await quantity.getAttribute('step'));
    check(min >= 1 && step >= 1, `product ${product.sku}: quantity input min=${min} step=${step}`);
    check(
      product.quantity >= min && product.quantity % step === 0,
      `product ${product.sku}: test quantity ${product.quantity} breaks the rule min ${min} / multiple ${step}`,
    );
    check(
      (await page.locator('h1').innerText()).trim().length > 0,
      `product ${product.sku}: no product name heading`,
    );
    await quantity.fill(String(product.quantity));
    await screenshot(page, run, 2, index === 0 ? 'product' : `product-${index + 1}`);
    await Promise.all([page.waitForURL(/\/cart(\?|$)/), page.click('form.add-to-cart button[type="submit"]')]);
    log(`${tag} 2 product: added ${product.quantity} × ${product.sku} (min ${min}, multiple ${step})`);
  }

  // 3. Cart: lines, delivery address, buyer reference, check out.
  await checkPage(page, run, 'cart');
  const cartRows = page.locator('table.data tbody tr');
  check(
    (await cartRows.count()) === run.products.length,
    `cart: expected ${run.products.length} line(s), found ${await cartRows.count()}`,
  );
  for (const product of run.products) {
    const value = await page.locator(`input[id="quantity-${product.sku}"]`).inputValue();
    check(Number(value) === product.quantity, `cart: ${product.sku} quantity is ${value}, expected ${product.quantity}`);
  }
  const checkout = page.locator('form[action="/cart/checkout"]');
  const options = await checkout.locator('select#delivery_address option').count();
  check(options >= 1, 'cart: no delivery address to choose');
  const deliveryIndex = Math.min(run.deliveryIndex ?? 0, options - 1);
  await checkout.locator('select#delivery_address').selectOption({ index: deliveryIndex });
  const deliveryLabel = (
    await checkout.locator('select#delivery_address option').nth(deliveryIndex).innerText()
  ).trim();
  await checkout.locator('#buyer_reference').fill(run.buyerReference);
  await screenshot(page, run, 3, 'cart');
  await Promise.all([
    page.waitForURL(/\/orders\?checkout=/),
    checkout.locator('button[type="submit"]').click(),
  ]);
  log(`${tag} 3 cart: ${run.products.length} line(s), delivery to "${deliveryLabel}", checked out`);

  // 4. Orders list: the new orders carry a badge.
  await checkPage(page, run, 'orders');
  const lots = new Set(run.products.map((p) => p.lot)).size;
  const badges = page.locator('table.data tbody tr .badge');
  const badgeCount = await badges.count();
  check(badgeCount === lots, `orders: expected ${lots} new order(s) with a badge, found ${badgeCount}`);
  const badgeText = (await badges.first().innerText()).trim();
  check(badgeText === run.newBadge, `orders: badge reads "${badgeText}", expected "${run.newBadge}"`);
  const newRows = page.locator('table.data tbody tr', { has: page.locator('.badge') });
  const newOrders = [];
  for (let i = 0; i < (await newRows.count()); i++) {
    const link = newRows.nth(i).locator('a[href^="/orders/"]');
    newOrders.push({ reference: (await link.innerText()).trim(), href: await link.getAttribute('href') });
    const rowText = await newRows.nth(i).innerText();
    check(rowText.includes(run.buyerReference), `orders: new order row lacks buyer reference: ${rowText}`);
  }
  newOrders.sort((a, b) => b.reference.localeCompare(a.reference));
  const newest = newOrders[0];
  await screenshot(page, run, 4, 'orders');
  log(`${tag} 4 orders: new ${newOrders.map((o) => o.reference).join(', ')}`);

  // 5. The newest order: heading, lines, history.
  await Promise.all([
    page.waitForURL((url) => url.pathname === newest.href),
    page.click(`table.data a[href="${newest.href}"]`),
  ]);
  await checkPage(page, run, 'order');
  const heading = (await page.locator('h1').innerText()).trim();
  check(heading.includes(run.orderHeading), `order: heading "${heading}" lacks "${run.orderHeading}"`);
  check(heading.includes(newest.reference), `order: heading "${heading}" lacks ${newest.reference}`);
  const status = (await page.locator('.status').first().innerText()).trim();
  check(status.length > 0, 'order: no status shown');
  const lines = await page.locator('table.data tbody tr').count();
  check(lines >= 1, 'order: no order lines');
  const history = await page.locator('ol.timeline > li').count();
  check(history >= 2, `order: history has ${history} entr(y/ies), expected at least 2`);
  const facts = await page.locator('dl.facts').innerText();
  check(facts.includes(run.buyerReference), `order: buyer reference ${run.buyerReference} not shown`);
  check(facts.includes(deliveryLabel), `order: delivery address "${deliveryLabel}" not shown`);
  await screenshot(page, run, 5, 'order');
  log(`${tag} 5 order: "${heading}", status "${status}", ${lines} line(s), ${history} history entries`);

  check(problems.length === 0, `browser reported problems:\n  ${problems.join('\n  ')}`);
}

let browser;
let failed = false;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: STEP_TIMEOUT_MS * 2,
  });
  log(`chromium ${browser.version()}, ${MESSAGE_KEYS.size} message keys known`);
  for (const run of RUNS) {
    await walk(browser, run);
  }
  log('order flow: all checks passed');
} catch (error) {
  failed = true;
  console.error(`order_flow failed: ${error?.message ?? error}`);
  const where = (error?.cause ?? error)?.stack?.split('\n').filter((l) => /^\s+at /.test(l));
  if (where?.length) console.error(where.join('\n'));
} finally {
  await browser?.close().catch(() => {});
  clearTimeout(watchdog);
}
process.exit(failed ? 1 : 0);
