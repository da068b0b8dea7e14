// The seed's procedure (SPEC §3) as a ΔΨΠ does it in a browser: find the employee by surname,
// open the details, cancel the issuance (closing the dialog first changes nothing), then see the
// message, the new status, the history entry and the status in the search results. Once with
// JavaScript (the confirmation is a modal), once without (it is a page), and a language switch.
//
// The real binary runs on a fresh SQLite file with the demo data ($CERTDESK_BIN, else
// ../target/debug/certdesk relative to e2e/). Screenshots land in e2e/artifacts/.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ARTIFACTS_DIR, launchBrowser, screenshot, startServer } from '../lib/browser.js';
import { Api, textHas, textIs, UI_TIMEOUT } from '../lib/ui.js';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BINARY = process.env.CERTDESK_BIN
  ? path.resolve(process.env.CERTDESK_BIN)
  : path.resolve(E2E_DIR, '..', 'target', 'debug', 'certdesk');

const ADMIN_USERNAME = 'm.georgiou@ypes.demo.gov.gr';
const ADMIN_NAME = 'Μαρία Γεωργίου';
const PASSWORD = `e2e-${randomBytes(9).toString('hex')}`;

// The exact Greek words of SPEC §2–§3.
const EL = {
  nameSearch: 'Επώνυμο και/ή όνομα',
  status: 'Κατάσταση',
  searchButton: 'Αναζήτηση',
  details: 'Λεπτομέρειες',
  awaitingApproval: 'Αναμένεται η έγκριση της αίτησης έκδοσης του πιστοποιητικού',
  rejected: 'Απορρίφθηκε η αίτηση έκδοσης του πιστοποιητικού',
  cancelButton: 'Ακύρωση διαδικασίας έκδοσης ΨΠ',
  approve: 'Έγκριση',
  close: 'Κλείσιμο',
  cancelledMessage: 'Η έκδοση του πιστοποιητικού ακυρώθηκε!',
  historyEntry: `Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη ${ADMIN_NAME}`,
  backToSearch: 'Επιστροφή στην αναζήτηση',
};

const TEST_TIMEOUT = 180_000;

/** What a person types: no accents, capitals, and only the first part of a double surname. */
function typed(name) {
  const first = name.trim().split(/[\s-]+/)[0];
  return first.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase();
}

/** A name folded for comparison (whole name, accents and case ignored). */
function folded(name) {
  return name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/ς/g, 'σ').trim();
}

const CONSOLE_PAGE_SIZE = 20; // rows on one page of the console's results

/**
 * An employee awaiting approval (cancellable) that the console finds on the first page of a search
 * by the typed surname, with no other employee of the same surname among the results; failing
 * that, one found by the surname and given name typed together.
 */
async function pickEmployee(api, excluded) {
  const { items } = await api.search({ status: 'awaiting_approval', per_page: 50 });
  const candidates = items.filter((e) => !excluded.has(e.id));
  assert.ok(candidates.length > 0, 'the demo data has no employee awaiting approval left to cancel');

  const fits = async (candidate, query, sameAs) => {
    const found = await api.search({ q: query, per_page: 200 });
    if (found.total > CONSOLE_PAGE_SIZE) return false;
    if (!found.items.some((e) => e.id === candidate.id)) return false;
    return !found.items.some((e) => e.id !== candidate.id && sameAs(e));
  };
  const sameSurname = (c) => (e) => folded(e.surname) === folded(c.surname);
  const sameName = (c) => (e) => sameSurname(c)(e) && folded(e.given_name) === folded(c.given_name);

  for (const narrow of [false, true]) {
    for (const c of candidates) {
      const query = narrow ? `${typed(c.surname)} ${typed(c.given_name)}` : typed(c.surname);
      if (!(await fits(c, query, narrow ? sameName(c) : sameSurname(c)))) continue;
      const detail = await api.employee(c.id);
      if (!detail.application?.cancellable || detail.application.status !== 'awaiting_approval') continue;
      return { ...c, query };
    }
  }
  throw new Error(
    `no employee awaiting approval can be found alone by name; candidates: ${candidates
      .map((c) => `${c.id} ${c.surname} ${c.given_name}`)
      .join(', ')}`,
  );
}

describe('cancellation of an issuance in the console (SPEC §3)', () => {
  let tmpDir;
  let server;
  let browser;
  let api;
  const used = new Set();

  /** On failure: a screenshot, the page's address and errors, and the server's output. */
  async function diagnosed(name, page, pageErrors, fn) {
    try {
      await fn();
    } catch (error) {
      let extra = '';
      if (page && !page.isClosed()) {
        extra += `\npage: ${page.url()}`;
        try {
          extra += `\nscreenshot: ${await screenshot(page, `FAILED-${name}`)}`;
        } catch (e) {
          extra += `\n(screenshot failed: ${e.message})`;
        }
      }
      if (pageErrors.length) extra += `\nbrowser errors:\n  ${pageErrors.join('\n  ')}`;
      let logs = '';
      if (server) {
        const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');
        const { stderr, stdout } = server.logs();
        logs = `\n--- certdesk stderr (last 8 KiB) ---\n${plain(stderr.slice(-8192))}\n--- certdesk stdout ---\n${plain(stdout.slice(-4096))}`;
      }
      console.error(`\n[${name}] failed: ${error.message}${extra}${logs}\n`);
      error.message += extra;
      throw error;
    }
  }

  async function newPage({ javaScriptEnabled = true } = {}) {
    const context = await browser.newContext({
      javaScriptEnabled,
      locale: 'el-GR',
      viewport: { width: 1280, height: 900 },
    });
    context.setDefaultTimeout(UI_TIMEOUT);
    context.setDefaultNavigationTimeout(30_000);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    // Chromium's own request for /favicon.ico is not the page's doing: leave it out.
    const ours = (url) => new URL(url).pathname !== '/favicon.ico';
    page.on('console', (m) => {
      if (m.type() === 'error' && ours(m.location().url || page.url())) errors.push(`console: ${m.text()} (${m.location().url})`);
    });
    page.on('response', (r) => { if (r.status() >= 400 && ours(r.url())) errors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`); });
    page.on('requestfailed', (r) => { if (ours(r.url())) errors.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`); });
    return { context, page, errors };
  }

  async function logIn(page) {
    await page.goto(`${server.url}/login`);
    await page.locator('#username').fill(ADMIN_USERNAME);
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Σύνδεση' }).click();
    await page.waitForURL(/\/employees(\?|$)/);
    await textHas(page.locator('header'), ADMIN_NAME, 'the header after login');
  }

  /** Types the query into «Επώνυμο και/ή όνομα», leaves every other criterion alone, presses «Αναζήτηση». */
  async function searchByName(page, query) {
    const box = page.getByLabel(EL.nameSearch, { exact: true });
    await box.fill(query);
    assert.equal(await page.getByLabel(EL.status, { exact: true }).inputValue(), '', '«Κατάσταση» should be left at «all»');
    await page.getByRole('button', { name: EL.searchButton, exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/employees' && u.searchParams.get('q') === query);
  }

  /** The one row of the results that shows this employee. */
  async function resultRow(page, employee) {
    const rows = page
      .locator('#results tbody tr')
      .filter({ hasText: employee.surname })
      .filter({ hasText: employee.given_name })
      .filter({ hasText: employee.afm });
    assert.equal(await rows.count(), 1, `one result row for ${employee.surname} ${employee.given_name} (${employee.afm})`);
    assert.equal(await rows.getAttribute('data-employee-id'), String(employee.id));
    return rows;
  }

  const cancelButton = (page) =>
    page.getByRole('link', { name: EL.cancelButton, exact: true })
      .or(page.getByRole('button', { name: EL.cancelButton, exact: true }));

  /** Search, open the details by the blue icon, see the state awaiting approval. */
  async function openCard(page, employee, shotPrefix) {
    await searchByName(page, employee.query);
    const total = Number(await page.locator('#results-total').textContent());
    assert.ok(total >= 1 && total <= CONSOLE_PAGE_SIZE, `results total ${total}`);
    const row = await resultRow(page, employee);
    await textIs(row.locator('td.status-cell'), EL.awaitingApproval, 'the status in the results');
    const details = row.getByRole('link', { name: EL.details, exact: true });
    assert.equal(await details.count(), 1, 'one «Λεπτομέρειες» link in the row');
    await details.click();
    await page.waitForURL((u) => u.pathname === `/employees/${employee.id}`);
    await textHas(page.locator('h1'), employee.surname, 'the card heading');
    await textIs(page.locator('#application-status'), EL.awaitingApproval, 'the state on the card');
    await cancelButton(page).waitFor({ state: 'visible' });
    await screenshot(page, `${shotPrefix}-1-card-before-cancel`);
  }

  /** After «Έγκριση»: the message, the new state and the history entry; the API agrees. */
  async function checkCancelled(page, employee, reason, shotPrefix) {
    await page.waitForURL((u) => u.pathname === `/employees/${employee.id}`);
    await textIs(page.locator('#cancelled-message'), EL.cancelledMessage, 'the message after cancelling');
    await textIs(page.locator('#application-status'), EL.rejected, 'the state after cancelling');
    assert.equal(await cancelButton(page).count(), 0, 'no cancel button once the application is rejected');
    const newest = page.locator('#history tbody tr').first();
    const cells = newest.locator('td');
    await textHas(cells.nth(2), EL.historyEntry, 'the newest history entry');
    await textHas(cells.nth(2), reason, 'the newest history entry (reason)');
    await textIs(cells.nth(3), ADMIN_NAME, 'the user of the newest history entry');
    await screenshot(page, `${shotPrefix}-3-card-after-cancel`);

    const detail = await api.employee(employee.id);
    assert.equal(detail.application.status, 'rejected');
    assert.equal(detail.application.cancellable, false);
    const entries = detail.application.history.filter((h) => h.description.startsWith(EL.historyEntry));
    assert.equal(entries.length, 1, `one cancellation entry in ${JSON.stringify(detail.application.history)}`);
    assert.equal(entries[0].actor, ADMIN_NAME);
  }

  /** Back to the search, the same name again: the row shows the rejected state. */
  async function checkSearchAfter(page, employee, shotPrefix) {
    await page.getByRole('link', { name: EL.backToSearch, exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/employees');
    await searchByName(page, employee.query);
    const row = await resultRow(page, employee);
    await textIs(row.locator('td.status-cell'), EL.rejected, 'the status in the results after cancelling');
    await screenshot(page, `${shotPrefix}-4-search-after-cancel`);
  }

  before(async () => {
    try {
      await access(BINARY, constants.X_OK);
    } catch {
      throw new Error(`certdesk binary not found at ${BINARY}: build it with \`cargo build -p certdesk\` or set CERTDESK_BIN`);
    }
    // Screenshots of an earlier run's failures would mislead.
    for (const f of await readdir(ARTIFACTS_DIR).catch(() => [])) {
      if (f.startsWith('FAILED-')) await rm(path.join(ARTIFACTS_DIR, f), { force: true });
    }
    tmpDir = await mkdtemp(path.join(os.tmpdir(), 'certdesk-e2e-'));
    server = await startServer({
      binary: BINARY,
      args: ['serve', '--demo', '--db', `sqlite://${path.join(tmpDir, 'certdesk.db')}`],
      env: { CERTDESK_DEMO_PASSWORD: PASSWORD, NO_COLOR: '1' },
    });
    // The demo prints its accounts, first organisation first.
    const firstUser = server.logs().stdout.match(/^username: (.+)$/m)?.[1];
    assert.equal(firstUser?.trim(), ADMIN_USERNAME, `first demo account in:\n${server.logs().stdout}`);
    api = new Api(server.url);
    await api.login(ADMIN_USERNAME, PASSWORD);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server) {
      const exit = await server.stop();
      if (exit && exit.code !== 0 && exit.code !== null) {
        console.error(`certdesk exited with code ${exit.code}\n${server.logs().stderr.slice(-8192)}`);
      }
    }
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  });

  test('with JavaScript: the modal closes without change, then «Έγκριση» cancels', { timeout: TEST_TIMEOUT }, async (t) => {
    const { context, page, errors } = await newPage();
    try {
      await diagnosed('cancel-js', page, errors, async () => {
        const employee = await pickEmployee(api, used);
        used.add(employee.id);
        t.diagnostic(`employee ${employee.id} ${employee.surname} ${employee.given_name}, typed «${employee.query}»`);
        await logIn(page);
        await openCard(page, employee, 'cancel-js');

        // The button opens the confirmation dialog; «Κλείσιμο» closes it and changes nothing.
        await cancelButton(page).click();
        const dialog = page.getByRole('dialog');
        await dialog.waitFor({ state: 'visible' });
        await textHas(dialog, EL.cancelButton, 'the dialog');
        assert.equal(new URL(page.url()).pathname, `/employees/${employee.id}`, 'the modal opens on the card itself');
        await screenshot(page, 'cancel-js-2-modal-open');
        await dialog.getByRole('link', { name: EL.close, exact: true })
          .or(dialog.getByRole('button', { name: EL.close, exact: true }))
          .click();
        await dialog.waitFor({ state: 'hidden' });
        await page.reload();
        await textIs(page.locator('#application-status'), EL.awaitingApproval, 'the state after closing the dialog');
        assert.equal(await page.locator('#cancelled-message').count(), 0, 'no cancellation message after closing');
        assert.equal((await api.employee(employee.id)).application.status, 'awaiting_approval');

        // Again, with a reason, and «Έγκριση».
        const reason = `Λάθος ΑΦΜ στην αίτηση (e2e ${employee.id})`;
        await cancelButton(page).click();
        await dialog.waitFor({ state: 'visible' });
        await dialog.getByLabel(/Αιτιολογία/).fill(reason);
        await dialog.getByRole('button', { name: EL.approve, exact: true }).click();
        await checkCancelled(page, employee, reason, 'cancel-js');
        await checkSearchAfter(page, employee, 'cancel-js');
        assert.deepEqual(errors, [], 'no errors in the browser');
      });
    } finally {
      await context.close();
    }
  });

  test('without JavaScript: the button leads to a confirmation page whose «Έγκριση» cancels', { timeout: TEST_TIMEOUT }, async (t) => {
    const { context, page, errors } = await newPage({ javaScriptEnabled: false });
    try {
      await diagnosed('cancel-nojs', page, errors, async () => {
        const employee = await pickEmployee(api, used);
        used.add(employee.id);
        t.diagnostic(`employee ${employee.id} ${employee.surname} ${employee.given_name}, typed «${employee.query}»`);
        await logIn(page);
        await openCard(page, employee, 'cancel-nojs');

        // «Κλείσιμο» on the confirmation page goes back to the card, unchanged.
        await cancelButton(page).click();
        await page.waitForURL((u) => u.pathname === `/employees/${employee.id}/cancel`);
        await textIs(page.locator('h1'), EL.cancelButton, 'the confirmation page heading');
        await screenshot(page, 'cancel-nojs-2-confirmation-page');
        await page.getByRole('link', { name: EL.close, exact: true }).click();
        await page.waitForURL((u) => u.pathname === `/employees/${employee.id}`);
        await textIs(page.locator('#application-status'), EL.awaitingApproval, 'the state after «Κλείσιμο»');
        assert.equal((await api.employee(employee.id)).application.status, 'awaiting_approval');

        const reason = `Ακύρωση χωρίς JavaScript (e2e ${employee.id})`;
        await cancelButton(page).click();
        await page.waitForURL((u) => u.pathname === `/employees/${employee.id}/cancel`);
        await page.getByLabel(/Αιτιολογία/).fill(reason);
        await page.getByRole('button', { name: EL.approve, exact: true }).click();
        await checkCancelled(page, employee, reason, 'cancel-nojs');
        await checkSearchAfter(page, employee, 'cancel-nojs');
      });
    } finally {
      await context.close();
    }
  });

  // A person must be able to read and use the console at an ordinary window size: the content
  // uses the window's width and the header's texts stand out on its dark blue.
  test('layout: the console uses the window\'s width and the header is readable', {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const { context, page } = await newPage();
    try {
      await (async () => {
        const problems = [];
        const widthOf = async (selector) => (await page.locator(selector).first().boundingBox())?.width ?? 0;

        await page.goto(`${server.url}/login`);
        if ((await widthOf('#username')) < 200) problems.push(`login: #username is ${await widthOf('#username')} px wide`);
        await logIn(page);
        if ((await widthOf('main')) < 640) problems.push(`search page: <main> is ${await widthOf('main')} px wide in a 1280 px window`);

        // Every text in the header must stand out from the header's background (WCAG AA, 4.5:1).
        const lowContrast = await page.evaluate(() => {
          const rgb = (c) => (c.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
          const lum = ([r, g, b]) => {
            const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
          };
          const header = document.querySelector('header');
          const bg = lum(rgb(getComputedStyle(header).backgroundColor));
          const out = [];
          for (const el of header.querySelectorAll('*')) {
            const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join(' ').trim();
            if (!own || el.closest('.govgr-visually-hidden') || !el.getClientRects().length) continue;
            const fg = lum(rgb(getComputedStyle(el).color));
            const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
            if (ratio < 4.5) out.push(`«${own}» ${getComputedStyle(el).color} (contrast ${ratio.toFixed(2)}:1)`);
          }
          return out;
        });
        for (const p of lowContrast) problems.push(`header: ${p}`);

        // The blue «Λεπτομέρειες» icon is on screen and not clipped: a click at its centre reaches it.
        await page.goto(`${server.url}/employees?q=${encodeURIComponent('Α')}`);
        const link = page.locator('#results a.details-link').first();
        await link.scrollIntoViewIfNeeded();
        const reachable = await link.evaluate((a) => {
          const r = a.getBoundingClientRect();
          const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
          return Boolean(hit && (hit === a || a.contains(hit)));
        });
        if (!reachable) problems.push('search results: the «Λεπτομέρειες» icon is clipped (not visible where it is)');

        const id = await page.locator('#results tr[data-employee-id]').first().getAttribute('data-employee-id');
        await page.goto(`${server.url}/employees/${id}`);
        if ((await widthOf('#employee-fields')) < 600) problems.push(`card: the details list is ${await widthOf('#employee-fields')} px wide`);
        await screenshot(page, 'layout-card');

        if (problems.length) assert.fail(`layout problems (see e2e/artifacts/layout-card.png):\n  ${problems.join('\n  ')}`);
      })();
    } finally {
      await context.close();
    }
  });

  test('the «English» switch in the header shows English labels, and back', { timeout: TEST_TIMEOUT }, async () => {
    const { context, page, errors } = await newPage();
    try {
      await diagnosed('language', page, errors, async () => {
        await logIn(page);
        assert.equal(await page.locator('html').getAttribute('lang'), 'el');

        await page.getByRole('banner').getByRole('link', { name: 'English', exact: true }).click();
        await page.waitForFunction(() => document.documentElement.lang === 'en');
        assert.equal(new URL(page.url()).pathname, '/employees', 'the switch stays on the search page');
        await page.getByLabel('Surname and/or first name', { exact: true }).waitFor();
        await page.getByRole('button', { name: 'Search', exact: true }).waitFor();
        await textIs(page.locator('h1'), 'Find employees', 'the English heading');
        await page.getByLabel('Surname and/or first name', { exact: true }).fill('A');
        await page.getByRole('button', { name: 'Search', exact: true }).click();
        await page.waitForURL((u) => u.searchParams.get('q') === 'A');
        await page.locator('#results').getByRole('columnheader', { name: 'Status', exact: true }).waitFor();
        assert.ok((await page.locator('#results').getByRole('link', { name: 'Details', exact: true }).count()) > 0, 'English «Details» links');
        await screenshot(page, 'language-1-english');

        await page.getByRole('banner').getByRole('link', { name: 'Ελληνικά', exact: true }).click();
        await page.waitForFunction(() => document.documentElement.lang === 'el');
        await page.getByLabel(EL.nameSearch, { exact: true }).waitFor();
        await page.getByRole('button', { name: EL.searchButton, exact: true }).waitFor();
        await textIs(page.locator('h1'), 'Αναζήτηση υπαλλήλων', 'the Greek heading again');
        await screenshot(page, 'language-2-greek-again');
        assert.deepEqual(errors, [], 'no errors in the browser');
      });
    } finally {
      await context.close();
    }
  });
});
