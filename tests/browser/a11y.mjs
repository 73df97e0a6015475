// Accessibility and valid markup of the main pages, driven by tests/browser.rs:
//
//   node a11y.mjs BASE_URL OUT_DIR
//
// In French and in Dutch, a visitor, an institution buyer, a supplier user and an
// administrator of the demo data open the main pages of their role (forms with errors and
// error pages included). On every page axe-core (WCAG 2.1 A and AA rules) runs in headless
// Chromium: any `serious` or `critical` violation fails. The HTML the server sent for each page
// is saved to OUT_DIR/html/ and the Nu HTML Checker (vnu-jar, on the machine's Java) checks
// them all in one run: any error fails. The process exits non-zero on any failure and prints
// page, rule and offending nodes. Needs Debian's chromium (or $CHROMIUM), Java (or $JAVA) and
// `npm ci` in this folder.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './chromium.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_VERSION = JSON.parse(readFileSync(join(here, 'node_modules/axe-core/package.json'), 'utf8')).version;
const VNU_JAR = join(here, 'node_modules/vnu-jar/build/dist/vnu.jar');

// Generous: the machine may be busy with builds, and one axe run on a big page takes seconds.
const STEP_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 150_000;
const PASSWORD = 'demo-centrale-2026';
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const BLOCKING = new Set(['serious', 'critical']);

const ACCOUNTS = {
  fr: {
    institution: 'direction@lestilleuls.example',
    supplier: 'marc.leroy@medisupply.example',
    admin: 'isabelle.marchal@centrale.example',
  },
  nl: {
    institution: 'lies.vermeulen@thuiszorgbrusselnoord.example',
    supplier: 'tom.janssens@brabomed.example',
    admin: 'pieter.claes@centrale.example',
  },
};
const SEARCH = { fr: 'masque', nl: 'handschoen' };
// Sold by tens, so a quantity of 11 gives the cart an error to show.
const PRODUCT = { sku: 'NIT-EXAM-M-BX100', lot: 'CA-EPI-2025-03' };
const SERVICE = 'SRV-NURSE-HR-DAY';
// The import template's example row, pointed at a lot and a supplier of the demo data.
const IMPORT_LOT = { reference: 'CA-EPI-2025-01', supplier: '0481.728.031' };

const [baseArg, outDir] = process.argv.slice(2);
if (!baseArg || !outDir) {
  console.error('usage: node a11y.mjs BASE_URL OUT_DIR');
  process.exit(64);
}
const BASE = baseArg.replace(/\/+$/, '');
const HTML_DIR = resolve(outDir, 'html');
mkdirSync(HTML_DIR, { recursive: true });

const watchdog = setTimeout(() => {
  console.error(`a11y: gave up after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(124);
}, TOTAL_TIMEOUT_MS);

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Everything found, page by page; printed at the end. */
const failures = [];
const warnings = [];
/** What the checkers found on the deliberately broken page (see `checkTheCheckers`). */
const canary = { axe: new Set(), markup: [] };
const CANARY_PATH = '/a11y-canary';
// Faults each checker must find, or it is not really checking: no page language, an image
// without text, pale text, an unlabelled field, a duplicate id and a required select without an
// empty choice.
const CANARY_HTML = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>canary</title></head>
<body><main>
<h1>canary</h1>
<img src="/assets/img/logo.svg">
<p style="color:#c8c8c8;background:#fff">pale text</p>
<input type="text" id="twice"><span id="twice"></span>
<select required><option value="1">one</option></select>
</main></body></html>`;
const CANARY_AXE = ['image-alt', 'color-contrast', 'label', 'html-has-lang'];
/** Saved HTML file (absolute path) → page label, for the markup check. */
const saved = new Map();
let pagesChecked = 0;
const timings = [];
/** The path of the first order an institution walk places, for the administrator's walk. */
const orderPlaced = {};
orderPlaced.promise = new Promise((resolve, reject) => Object.assign(orderPlaced, { resolve, reject }));
orderPlaced.promise.catch(() => {}); // Whoever awaits it sees the failure; nobody else must.

/**
 * One browser context per role and language. `visit` and `submit` check the page that results
 * and record what is wrong with it; a broken walk (a link or form that is not there) throws.
 */
class Walk {
  constructor(context, lang, role) {
    this.context = context;
    this.lang = lang;
    this.role = role;
    this.problems = [];
    this.lastDocument = null;
  }

  static async open(browser, lang, role) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: `${lang}-BE` });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    // Injected by the DevTools protocol, so the strict Content-Security-Policy does not apply.
    await context.addInitScript({ content: AXE_SOURCE });
    const walk = new Walk(context, lang, role);
    walk.page = await context.newPage();
    const page = walk.page;
    page.on('pageerror', (error) => walk.problems.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      // Resources that fail are reported below with their address; pages answered 4xx on purpose.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        walk.problems.push(`console error: ${message.text()}`);
      }
    });
    page.on('response', (response) => {
      const request = response.request();
      const status = response.status();
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
        // The page after redirects; its status is checked against what the step expects.
        if (status < 300 || status >= 400) walk.lastDocument = response;
      } else if (status >= 400) {
        walk.problems.push(`HTTP ${response.status()} for ${response.url()}`);
      }
    });
    await page.goto(`${BASE}/login?lang=${lang}`);
    return walk;
  }

  async login(email) {
    await this.page.goto(`${BASE}/login?lang=${this.lang}`);
    await this.page.fill('#email', email);
    await this.page.fill('#password', PASSWORD);
    await Promise.all([this.page.waitForNavigation(), this.page.click('form[action="/login"] button[type="submit"]')]);
    check(!new URL(this.page.url()).pathname.startsWith('/login'), `${email} could not log in`);
  }

  /** Opens a path and audits the page; `status` is the HTTP status the page must have. */
  async visit(name, path, status = 200) {
    this.lastDocument = null;
    const response = await this.page.goto(`${BASE}${path}`);
    return this.audit(name, response, status);
  }

  /** Runs `action` (which submits a form) and audits the page it leads to. */
  async submit(name, action, status = 200) {
    this.lastDocument = null;
    await Promise.all([this.page.waitForNavigation(), action(this.page)]);
    return this.audit(name, this.lastDocument, status);
  }

  async audit(name, response, status) {
    const page = this.page;
    const url = new URL(page.url());
    const label = `${this.lang} ${this.role} ${name} (${url.pathname}${url.search})`;
    check(response, `${label}: no document response`);
    // The canary is served by the browser itself, not by the shop: only the checkers are tested.
    const isCanary = name === 'canary';
    if (!isCanary) {
      pagesChecked += 1;
      if (response.status() !== status) failures.push(`${label}: HTTP ${response.status()}, expected ${status}`);
      const lang = await page.getAttribute('html', 'lang');
      if (lang !== this.lang) failures.push(`${label}: <html lang="${lang}">, expected "${this.lang}"`);
      if (!(await page.title()).trim()) failures.push(`${label}: empty <title>`);
    }
    const file = join(HTML_DIR, `${this.lang}-${this.role}-${name}.html`);
    writeFileSync(file, await response.body());
    saved.set(file, label);

    const axeStarted = Date.now();
    const results = await page.evaluate(
      (tags) =>
        window.axe.run(document, {
          runOnly: { type: 'tag', values: tags },
          resultTypes: ['violations'],
        }),
      WCAG_TAGS,
    );
    timings.push({ label, axe: Date.now() - axeStarted });
    for (const violation of results.violations) {
      const nodes = violation.nodes
        .slice(0, 5)
        .map((node) => `      ${node.target.join(' ')}: ${node.failureSummary?.split('\n').slice(1).join(' ').trim()}`)
        .join('\n');
      const more = violation.nodes.length > 5 ? `\n      … and ${violation.nodes.length - 5} more` : '';
      const line = `${label}: [${violation.impact}] ${violation.id} — ${violation.help}\n${nodes}${more}`;
      if (isCanary) canary.axe.add(violation.id);
      else (BLOCKING.has(violation.impact) ? failures : warnings).push(line);
    }
    return page;
  }

  async close() {
    if (this.problems.length) failures.push(`${this.lang} ${this.role}: browser reported\n  ${this.problems.join('\n  ')}`);
    await this.context.close();
  }
}

/** A Belgian enterprise number: eight digits and their check digits (97 − n mod 97). */
function enterpriseNumber(base) {
  const check = String(97 - (base % 97)).padStart(2, '0');
  const digits = `${String(base).padStart(8, '0')}${check}`;
  return `${digits.slice(0, 4)}.${digits.slice(4, 7)}.${digits.slice(7)}`;
}

/** A complete membership application, one per language. */
async function fillApplication(page, lang) {
  const form = page.locator('form[action="/apply"]');
  const value = {
    name: lang === 'fr' ? 'Résidence Accessible ASBL' : 'Toegankelijk Woonzorgcentrum vzw',
    enterprise_number: enterpriseNumber(lang === 'fr' ? 8123456 : 8654321),
    billing_street: lang === 'fr' ? 'Rue de la Loi 16' : 'Wetstraat 16',
    billing_postcode: '1000',
    billing_city: lang === 'fr' ? 'Bruxelles' : 'Brussel',
    delivery_0_street: lang === 'fr' ? 'Rue de la Loi 16' : 'Wetstraat 16',
    delivery_0_postcode: '1000',
    delivery_0_city: lang === 'fr' ? 'Bruxelles' : 'Brussel',
    contact_name: lang === 'fr' ? 'Claire Dupont' : 'Els Peeters',
    contact_email: `direction-${lang}@accessible.example`,
    buyers_0_name: lang === 'fr' ? 'Marc Dupont' : 'Jan Peeters',
    buyers_0_email: `achats-${lang}@accessible.example`,
  };
  for (const [id, text] of Object.entries(value)) await form.locator(`#${id}`).fill(text);
  for (const id of ['competent_authority', 'sector']) await form.locator(`#${id}`).selectOption({ index: 1 });
  await form.locator(`input[name="language"][value="${lang}"]`).check();
}

/** Submits a form past the browser's own checks, to see the server's error messages. */
async function sendUnchecked(form) {
  await form.evaluate((element) => {
    element.noValidate = true;
  });
  await form.locator('button[type="submit"]').click();
}

/** The first link on the current page whose href matches, as a path. */
async function firstLink(page, pattern) {
  const hrefs = await page.locator('a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  const href = hrefs.find((h) => pattern.test(h));
  check(href, `${page.url()}: no link matching ${pattern}`);
  return href;
}

async function visitor(browser, lang) {
  const walk = await Walk.open(browser, lang, 'visitor');
  try {
    await walk.visit('home', `/?lang=${lang}`);
    await walk.visit('catalogue', '/catalogue');
    await walk.visit('search', `/catalogue?q=${SEARCH[lang]}`);
    await walk.visit('lot', `/lots/${PRODUCT.lot}`);
    await walk.visit('product', `/products/${PRODUCT.sku}`);
    await walk.visit('service', `/products/${SERVICE}`);
    await walk.visit('apply', '/apply');
    await walk.submit('apply-errors', (page) => page.click('form[action="/apply"] button[type="submit"]'), 422);
    await fillApplication(walk.page, lang);
    await walk.submit('apply-sent', (page) => page.click('form[action="/apply"] button[type="submit"]'));
    await walk.visit('login', '/login');
    await walk.submit(
      'login-failed',
      async (page) => {
        await page.fill('#email', 'nobody@example.org');
        await page.fill('#password', 'wrong-password');
        await page.click('form[action="/login"] button[type="submit"]');
      },
      401,
    );
    await walk.visit('forgot', '/password/forgot');
    await walk.page.fill('#email', ACCOUNTS[lang].institution);
    await walk.submit('forgot-sent', (page) => page.click('form[action="/password/forgot"] button[type="submit"]'));
    await walk.visit('open-data', '/open-data');
    await walk.visit('api-docs', '/api/v1/docs');
    await walk.visit('not-found', '/no-such-page', 404);
  } finally {
    await walk.close();
  }
}

async function institution(browser, lang) {
  const walk = await Walk.open(browser, lang, 'institution');
  try {
    // Lands on the catalogue, the visitor's page with this role's header, as on every page below.
    await walk.login(ACCOUNTS[lang].institution);
    const page = await walk.visit('product', `/products/${PRODUCT.sku}`);
    const min = Number(await page.locator('form.add-to-cart #quantity').getAttribute('min'));
    const step = Number(await page.locator('form.add-to-cart #quantity').getAttribute('step'));
    await page.locator('form.add-to-cart #quantity').fill(String(Math.max(min, step)));
    await walk.submit('cart', (p) => p.click('form.add-to-cart button[type="submit"]'));
    check(step > 1, `${PRODUCT.sku} should be sold by more than one`);
    // A quantity that breaks the multiple: the cart shows the error next to the line.
    await page.locator(`input[id="quantity-${PRODUCT.sku}"]`).fill(String(Math.max(min, step) + 1));
    await walk.submit(
      'cart-errors',
      (p) => sendUnchecked(p.locator(`form.inline-form:has(input[id="quantity-${PRODUCT.sku}"])`)),
      422,
    );
    await page.goto(`${BASE}/cart`);
    await page.locator('#buyer_reference').fill(`A11Y-${lang.toUpperCase()}`);
    await walk.submit('orders-new', (p) => p.click('form[action="/cart/checkout"] button[type="submit"]'));
    const order = await firstLink(page, /^\/orders\/\d+$/);
    orderPlaced.resolve(order);
    await walk.visit('orders', '/orders');
    await walk.visit('order', order);
    await walk.visit('cart-empty', '/cart');
    await walk.visit('forbidden', '/admin/lots', 403);
  } catch (error) {
    orderPlaced.reject(new Error(`no order placed: ${error.message}`));
    throw error;
  } finally {
    await walk.close();
  }
}

async function supplier(browser, lang) {
  const walk = await Walk.open(browser, lang, 'supplier');
  try {
    // Suppliers work through the API; on the web they see the public pages with their header.
    await walk.login(ACCOUNTS[lang].supplier);
    await walk.visit('catalogue', '/catalogue');
  } finally {
    await walk.close();
  }
}

async function admin(browser, lang) {
  const walk = await Walk.open(browser, lang, 'admin');
  try {
    await walk.login(ACCOUNTS[lang].admin);
    let page = await walk.visit('memberships', '/admin/memberships');
    await walk.visit('membership', await firstLink(page, /^\/admin\/memberships\/\d+$/));
    // A pending application, then its rejection sent without a reason.
    page = await walk.visit('memberships-pending', '/admin/memberships?status=pending');
    await walk.visit('membership-pending', await firstLink(page, /^\/admin\/memberships\/\d+$/));
    await walk.submit('membership-reject-errors', (p) => sendUnchecked(p.locator('form[action$="/reject"]')), 422);
    page = await walk.visit('lots', '/admin/lots');
    const lot = await firstLink(page, /^\/admin\/lots\/\d+$/);
    page = await walk.visit('lot', lot);
    await walk.visit('product', await firstLink(page, /^\/admin\/products\/\d+$/));
    await walk.visit('new-product', `${lot}/products/new`);
    await walk.visit('new-lot', '/admin/lots/new');
    await walk.submit(
      'new-lot-errors',
      (p) => sendUnchecked(p.locator('form[action="/admin/lots"]')),
      422,
    );
    page = await walk.visit('categories', '/admin/categories');
    await walk.visit('category', await firstLink(page, /^\/admin\/categories\/\d+$/));
    page = await walk.visit('suppliers', '/admin/suppliers');
    page = await walk.visit('supplier', await firstLink(page, /^\/admin\/suppliers\/\d+$/));
    await page.fill('#client_name', `ERP ${lang}`);
    page = await walk.submit('client-issued', (p) => p.click('form[action$="/clients"] button[type="submit"]'));
    page = await walk.visit('supplier-clients', new URL(page.url()).pathname.replace(/\/clients.*$/, ''));
    await walk.visit('client-revoke', await firstLink(page, /^\/admin\/suppliers\/\d+\/clients\/[^/]+\/revoke$/));
    page = await walk.visit('import', '/admin/import');
    const template = await (await walk.context.request.get(`${BASE}/admin/import/template.csv`)).text();
    check(template.includes('LOT-01') && template.includes('0403.019.261'), 'import template changed its example');
    const upload = template.replace('LOT-01', IMPORT_LOT.reference).replace('0403.019.261', IMPORT_LOT.supplier);
    await page.setInputFiles('#file', { name: 'catalogue.csv', mimeType: 'text/csv', buffer: Buffer.from(upload) });
    await walk.submit('import-preview', (p) => p.click('form.import-upload button[type="submit"]'));
    await page.goto(`${BASE}/admin/import`);
    const broken = Buffer.from('sku;name_fr\n;"<b>sans lot</b>"\n', 'utf8');
    await page.setInputFiles('#file', { name: 'broken.csv', mimeType: 'text/csv', buffer: broken });
    await walk.submit('import-errors', (p) => p.click('form.import-upload button[type="submit"]'), 422);
    await walk.visit('reports', '/admin/reports');
    await walk.visit('audit', '/admin/audit');
    // The demo data has no orders: the first one the institution walks place.
    const order = await orderPlaced.promise;
    await walk.visit('order', `/admin${order}`);
    await walk.visit('not-found', '/admin/lots/999999', 404);
    if (lang === 'fr') await checkTheCheckers(walk);
  } finally {
    await walk.close();
  }
}

/** A broken page of our own, served by the browser on the shop's origin, goes through axe. */
async function checkTheCheckers(walk) {
  await walk.page.route(`${BASE}${CANARY_PATH}`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: CANARY_HTML }),
  );
  await walk.visit('canary', CANARY_PATH);
  await walk.page.unroute(`${BASE}${CANARY_PATH}`);
  const missed = CANARY_AXE.filter((rule) => !canary.axe.has(rule));
  check(missed.length === 0, `axe-core did not report ${missed.join(', ')} on the broken page`);
}

/** The Nu HTML Checker over every saved page, in one Java run. */
function checkMarkup() {
  const files = [...saved.keys()];
  const java = process.env.JAVA || 'java';
  // A short run: the quick compiler and the serial collector halve the CPU time; the quick
  // compiler needs a deeper stack than the checker's 512k minimum.
  const flags = ['-Xss4m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];
  const run = spawnSync(java, [...flags, '-jar', VNU_JAR, '--format', 'json', '--errors-only', ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  check(!run.error, `cannot run ${java}: ${run.error?.message}`);
  let report;
  try {
    report = JSON.parse(run.stderr || run.stdout);
  } catch {
    throw new Error(`vnu printed no JSON report (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  const errors = report.messages.filter((m) => m.type === 'error' || m.subType === 'fatal');
  for (const message of errors) {
    // vnu names files `file:/tmp/…`.
    const where = saved.get(decodeURIComponent(new URL(message.url).pathname)) ?? message.url;
    if (message.url?.endsWith('-canary.html')) {
      canary.markup.push(message.message);
      continue;
    }
    failures.push(`${where}: markup error line ${message.lastLine}: ${message.message}\n      «${message.extract}»`);
  }
  check(run.status !== 0, 'vnu passed the broken page');
  for (const expected of [/Duplicate ID/, /first “option” element in a “select” element with a “required”/]) {
    check(
      canary.markup.some((m) => expected.test(m)),
      `vnu did not report ${expected} on the broken page; it said: ${canary.markup.join(' | ')}`,
    );
  }
  return { version: report.version, files: files.length - 1, errors: errors.length - canary.markup.length };
}

let browser;
let failed = false;
const started = Date.now();
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: STEP_TIMEOUT_MS * 2,
  });
  console.log(`chromium ${browser.version()}, axe-core ${AXE_VERSION}, rules tagged ${WCAG_TAGS.join(' ')}`);
  // Every role in both languages side by side, so waits on the server and on the browser overlap.
  const walks = ['fr', 'nl'].flatMap((lang) =>
    [visitor, institution, supplier, admin].map((role) =>
      role(browser, lang).catch((error) => {
        throw new Error(`[${lang} ${role.name}] ${error?.message ?? error}`, { cause: error });
      }),
    ),
  );
  const broken = (await Promise.allSettled(walks)).filter((walk) => walk.status === 'rejected');
  const browsing = Date.now() - started;
  console.log(`axe-core: ${pagesChecked} pages in ${(browsing / 1000).toFixed(1)} s`);
  // A11Y_TIMINGS=1 prints how long axe took on each page.
  if (process.env.A11Y_TIMINGS) for (const t of timings) console.log(`${t.axe} ms axe ${t.label}`);
  for (const walk of broken) {
    const where = walk.reason.cause?.stack?.split('\n').filter((l) => /^\s+at /.test(l)).join('\n') ?? '';
    failures.push(`walk broke off: ${walk.reason.message}\n${where}`);
  }
  const markup = checkMarkup();
  console.log(
    `vnu ${markup.version}: ${markup.files} pages, ${markup.errors} error(s) in ${((Date.now() - started - browsing) / 1000).toFixed(1)} s`,
  );
} catch (error) {
  failures.push(`walk broke off: ${error?.message ?? error}`);
  const where = error?.stack?.split('\n').filter((l) => /^\s+at /.test(l));
  if (where?.length) failures.push(where.join('\n'));
} finally {
  await browser?.close().catch(() => {});
  clearTimeout(watchdog);
}
for (const line of warnings) console.log(`note (minor/moderate): ${line}`);
if (failures.length) {
  failed = true;
  console.error(`a11y: ${failures.length} problem(s)\n${failures.join('\n')}`);
} else {
  console.log(`a11y: ${pagesChecked} pages, no serious or critical violation, no markup error`);
}
process.exit(failed ? 1 : 0);
