// The whole issuance journey in the browser, with two people at two browsers:
//
//   A, a ΔΨΠ at the console (desktop window): starts an application, approves it, and at the end
//      cancels it;
//   B, the beneficiary at the portal (a phone-sized window): follows the link of the email,
//      logs in through the (local) tax registry, confirms their data, chooses a username,
//      password and authenticator (TOTP), enrols it, signs the application, and sees the
//      cancellation.
//
// Everything is real: the certdesk binary on a fresh SQLite file with the demo data, the local
// registry process (`certdesk registry serve`) as tax registry, and an SMTP sink (lib/smtp.js)
// that certdesk's background worker delivers the emails to. $CERTDESK_BIN, else
// ../target/debug/certdesk relative to e2e/. Screenshots land in e2e/artifacts/journey-*.png.

import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { access, constants, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ARTIFACTS_DIR, launchBrowser, screenshot, startServer } from '../lib/browser.js';
import { pickEmployee } from '../lib/demo.js';
import { startSmtpSink } from '../lib/smtp.js';
import { base32Decode, currentStep, secondsLeftInStep, totp } from '../lib/totp.js';
import { Api, textHas, textIs, UI_TIMEOUT, valueIs } from '../lib/ui.js';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_DIR = path.resolve(E2E_DIR, '..');
const BINARY = process.env.CERTDESK_BIN
  ? path.resolve(process.env.CERTDESK_BIN)
  : path.resolve(REPO_DIR, 'target', 'debug', 'certdesk');
const PEOPLE_CSV = path.join(REPO_DIR, 'crates', 'registry', 'demo-people.csv');

const ADMIN_USERNAME = 'm.georgiou@ypes.demo.gov.gr';
const ADMIN_NAME = 'Μαρία Γεωργίου';
// Where the demo keeps its key-encryption key: beside its database (crates/cli/src/ca_cmd.rs).
const DEMO_KEK_FILE = 'certdesk-demo.kek';
const ADMIN_PASSWORD = `e2e-${randomBytes(9).toString('hex')}`;

// The exact Greek words the console, the portal and the emails show.
const EL = {
  newCertificate: 'Νέο Ψηφιακό Πιστοποιητικό',
  awaitingDataCheck: 'Αναμένεται ο έλεγχος των στοιχείων του χρήστη',
  awaitingApproval: 'Αναμένεται η έγκριση της αίτησης έκδοσης του πιστοποιητικού',
  awaitingIdentification: 'Αναμένεται η ταυτοποίηση του δικαιούχου',
  awaitingSignature: 'Αναμένεται η υπογραφή της αίτησης',
  awaitingIssuance: 'Αναμένεται η έκδοση του πιστοποιητικού',
  rejected: 'Απορρίφθηκε η αίτηση έκδοσης του πιστοποιητικού',
  start: 'Έναρξη',
  portalLogin: 'Σύνδεση μέσω TaxisNet',
  registryLogin: 'Σύνδεση',
  confirmData: 'Επιβεβαίωση στοιχείων',
  identificationSubmit: 'Συνέχεια',
  usernameField: 'Όνομα χρήστη',
  totpSubmit: 'Επιβεβαίωση',
  signSubmit: 'Υπογραφή αίτησης',
  otpField: 'Κωδικός μίας χρήσης',
  historyColumns: ['Ημερομηνία', 'Ενέργεια', 'Περιγραφή', 'Χρήστης'],
  historyActions: ['Επιβεβαίωση email', 'Επιβεβαίωση στοιχείων', 'Έγκριση αίτησης', 'Ταυτοποίηση δικαιούχου', 'Υπογραφή αίτησης'],
  approved: 'Η αίτηση εγκρίθηκε.',
  cancelButton: 'Ακύρωση διαδικασίας έκδοσης ΨΠ',
  approve: 'Έγκριση',
  cancelledMessage: 'Η έκδοση του πιστοποιητικού ακυρώθηκε!',
  cancelledHistory: `Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη ${ADMIN_NAME}`,
};

const TEST_TIMEOUT = 300_000;
// The outbox worker polls every ~2 s (the demo's made-up history is settled at load, not mailed).
const EMAIL_TIMEOUT = 60_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Lower-case Latin letters, for usernames and addresses that no other run has used. */
const randomLetters = (n) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[randomInt(26)]).join('');

/** A six-digit code that is not the secret's code for any step near now. */
function wrongCode(secret) {
  const now = currentStep();
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totp(secret, now + d)));
  let n = 123456;
  while (valid.has(String(n))) n = (n + 1) % 1_000_000;
  return String(n).padStart(6, '0');
}

/** Waits, if needed, so that at least `seconds` remain in the current TOTP step. */
async function awayFromStepEdge(seconds = 5) {
  const left = secondsLeftInStep();
  if (left < seconds) await sleep(left * 1000 + 250);
}

/** The portal must be usable on a phone: nothing wider than the window. */
async function noHorizontalOverflow(page, where) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${where}: the page is ${scrollWidth} px wide in a ${innerWidth} px window (horizontal scrolling)`);
}

describe('the issuance journey: console, email, portal (TaxisNet login, data, identification, TOTP, signature), cancellation', () => {
  let tmpDir;
  let registry;
  let sink;
  let server;
  let browser;
  let api;

  before(async () => {
    try {
      await access(BINARY, constants.X_OK);
    } catch {
      throw new Error(`certdesk binary not found at ${BINARY}: build it with \`cargo build -p certdesk\` or set CERTDESK_BIN`);
    }
    // Screenshots of an earlier run would mislead (a failed run stops halfway).
    for (const f of await readdir(ARTIFACTS_DIR).catch(() => [])) {
      if (f.startsWith('journey-') || f.startsWith('FAILED-journey')) await rm(path.join(ARTIFACTS_DIR, f), { force: true });
    }
    tmpDir = await mkdtemp(path.join(os.tmpdir(), 'certdesk-e2e-journey-'));

    // The local registry has no /healthz: its login page answering 200 means it is up. It
    // requires PKCE: the challenge is RFC 7636's example (any S256 challenge would do).
    registry = await startServer({
      binary: BINARY,
      args: ['registry', 'serve', '--people', PEOPLE_CSV],
      env: { NO_COLOR: '1', CERTDESK_LOG: 'debug' },
      readyPath: '/oauth2/authorize?response_type=code&client_id=certdesk&redirect_uri=http://x/&state=s'
        + '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
      name: 'local registry',
    });
    sink = await startSmtpSink();
    server = await startServer({
      binary: BINARY,
      args: [
        'serve',
        '--db', `sqlite://${path.join(tmpDir, 'certdesk.db')}`,
        '--demo',
        '--smtp', `smtp://127.0.0.1:${sink.port}`,
        '--mail-from', 'certdesk <noreply@certdesk.test>',
        '--registry-url', `${registry.url}/`,
        // The demo has a CA, which would issue a signed application within seconds: an hour's
        // window lets the ΔΨΠ cancel it while it awaits issuance, as the journey requires.
        '--issuance-delay-minutes', '60',
      ],
      // Everything at debug level: the journey's last step looks for secrets in the log.
      env: { CERTDESK_DEMO_PASSWORD: ADMIN_PASSWORD, NO_COLOR: '1', CERTDESK_LOG: 'debug' },
    });
    api = new Api(server.url);
    await api.login(ADMIN_USERNAME, ADMIN_PASSWORD);
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
    await registry?.stop();
    await sink?.stop();
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  });

  /** A browser context with its page and the errors seen in it (for the failure report). */
  async function newPage(viewport, extra = {}) {
    const context = await browser.newContext({ locale: 'el-GR', viewport, ...extra });
    context.setDefaultTimeout(UI_TIMEOUT);
    context.setDefaultNavigationTimeout(30_000);
    const page = await context.newPage();
    const errors = []; // everything, for the report
    const scriptErrors = []; // exceptions in the page's own JavaScript: always a bug
    const ours = (url) => new URL(url).pathname !== '/favicon.ico';
    page.on('pageerror', (e) => { errors.push(`pageerror: ${e.message}`); scriptErrors.push(e.message); });
    page.on('console', (m) => {
      if (m.type() === 'error' && ours(m.location().url || page.url())) errors.push(`console: ${m.text()} (${m.location().url})`);
    });
    page.on('response', (r) => { if (r.status() >= 400 && ours(r.url())) errors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`); });
    page.on('requestfailed', (r) => { if (ours(r.url())) errors.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`); });
    return { context, page, errors, scriptErrors };
  }

  test('a ΔΨΠ starts it, the beneficiary completes it on the portal, the ΔΨΠ cancels it', { timeout: TEST_TIMEOUT }, async (t) => {
    const A = await newPage(DESKTOP);
    const B = await newPage(PHONE, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    let shot = 0;
    /** A numbered screenshot of one side: journey-NN-name.png. */
    const snap = (side, name) => screenshot(side.page, `journey-${String(++shot).padStart(2, '0')}-${name}`);
    let current = '(setup)';

    /** Runs one step of the journey, naming it in the report when it fails. */
    async function step(name, fn) {
      current = name;
      t.diagnostic(name);
      await fn();
    }

    try {
      // ---------------------------------------------------------------------------------------
      const employee = await pickEmployee(api, PEOPLE_CSV);
      const { person } = employee;
      const email = `e2e.${randomLetters(10)}@ypes.demo.gov.gr`;
      const username = `e2e${randomLetters(10)}`;
      const signingPassword = `E2e-Sign-${randomBytes(6).toString('hex')}!`;
      t.diagnostic(`employee ${employee.id} ${employee.surname} ${employee.given_name} (ΑΦΜ ${employee.afm}), ${email}, username ${username}`);

      await step('A: log in to the console', async () => {
        await A.page.goto(`${server.url}/login`);
        await A.page.locator('#username').fill(ADMIN_USERNAME);
        await A.page.locator('#password').fill(ADMIN_PASSWORD);
        await A.page.getByRole('button', { name: 'Σύνδεση' }).click();
        await A.page.waitForURL(/\/employees(\?|$)/);
        await textHas(A.page.locator('header'), ADMIN_NAME, 'the header after login');
      });

      await step('A: «Νέο Ψηφιακό Πιστοποιητικό», the magnifier fills the names from the tax registry', async () => {
        await A.page.goto(`${server.url}/applications/new`);
        await textIs(A.page.locator('h1'), EL.newCertificate, 'the page heading');
        await A.page.locator('input[name=afm]').fill(employee.afm);
        await A.page.locator('input[name=email]').fill(email);
        await snap(A, 'console-new-application');
        // The magnifier is a submit button of the form (it works without JavaScript): the answer
        // is a new page, whose name fields start out empty, so polling them below is enough.
        const lookedUp = A.page.waitForResponse((r) => new URL(r.url()).pathname === '/applications/new' && r.request().method() === 'POST');
        await A.page.locator('#afm-lookup').click();
        const lookup = await lookedUp;
        if (lookup.status() !== 200) {
          const dialog = await A.page.locator('#error-dialog-text').textContent().catch(() => null);
          assert.fail(`the magnifier answered HTTP ${lookup.status()}${dialog ? `: «${dialog.trim()}»` : ''}`);
        }
        // The template's name inputs are read-only and carry ids (not names): the values the
        // registry answered, i.e. those of demo-people.csv.
        await valueIs(A.page.locator('#given_name'), person.given_name, '«Όνομα» after the magnifier');
        await valueIs(A.page.locator('#surname'), person.surname, '«Επώνυμο» after the magnifier');
        await valueIs(A.page.locator('#father_name'), person.father_name, '«Όνομα Πατρός» after the magnifier');
        await valueIs(A.page.locator('input[name=afm]'), employee.afm, 'the ΑΦΜ after the magnifier');
        // The form comes back with what was typed; type the address again if it did not.
        if ((await A.page.locator('input[name=email]').inputValue()) !== email) await A.page.locator('input[name=email]').fill(email);
        assert.equal(await A.page.locator('#error-dialog').count(), 0, 'no error dialog after the magnifier');
        await snap(A, 'console-names-filled');
      });

      await step('A: «Έναρξη διαδικασίας» shows the employee card awaiting the data check', async () => {
        await A.page.locator('#start-application').click();
        await A.page.waitForURL((u) => u.pathname === `/employees/${employee.id}`);
        await textHas(A.page.locator('h1'), person.surname, 'the card heading');
        await textIs(A.page.locator('#application-status'), EL.awaitingDataCheck, 'the state on the card');
        await snap(A, 'console-card-started');
      });

      // ---------------------------------------------------------------------------------------
      let portalLink;
      await step('email: «Αναμένεται ο έλεγχος των στοιχείων του χρήστη» with the «Έναρξη» link', async () => {
        const started = Date.now();
        const message = await sink.waitForMessage(
          (m) => m.to.includes(email) && m.subject.includes(EL.awaitingDataCheck),
          EMAIL_TIMEOUT,
        );
        t.diagnostic(`the email came after ${((Date.now() - started) / 1000).toFixed(1)} s (${sink.messages.length} received in all)`);
        t.diagnostic(`email: ${message.subject}`);
        const urls = message.text.match(/https?:\/\/[^\s<>"'«»]+/g) ?? [];
        // The «Έναρξη» link carries the single-use token that proves the address (issue 10).
        portalLink = urls.find((u) => /\/portal\/start\?token=[0-9a-f]{64}$/.test(u));
        assert.ok(portalLink, `a link to /portal/start?token=… in the text part:\n${message.text}`);
        const line = message.text.split(/\r?\n/).find((l) => l.includes(portalLink));
        assert.ok(line.includes(EL.start), `the link's line names «${EL.start}»: ${JSON.stringify(line)}`);
        const anchors = [...message.html.matchAll(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi)]
          .map((m) => ({ href: m[1].replace(/&amp;/g, '&'), label: m[2].replace(/<[^>]*>/g, '').trim() }));
        assert.ok(
          anchors.some((a) => a.href === portalLink && a.label === EL.start),
          `<a href="${portalLink}">${EL.start}</a> in the HTML part; its links: ${JSON.stringify(anchors)}`,
        );
      });

      // ---------------------------------------------------------------------------------------
      const portalOrigin = new URL(portalLink).origin;
      const portalHome = `${portalOrigin}/portal`;
      const isPortal = (u) => u.origin === portalOrigin && u.pathname === '/portal';

      await step('B: the link opens the portal; «Σύνδεση μέσω TaxisNet» leads to the registry', async () => {
        await B.page.goto(portalLink);
        const login = B.page.locator('a#portal-login');
        await textIs(login, EL.portalLogin, 'the login link');
        await noHorizontalOverflow(B.page, 'the portal before login');
        await snap(B, 'portal-welcome');
        await login.click();
        await B.page.waitForURL((u) => u.origin === registry.url && u.pathname === '/oauth2/authorize');
        await snap(B, 'registry-login');
      });

      await step('B: logging in at the registry returns to the portal, awaiting the data check', async () => {
        await B.page.locator('input[name=afm]').fill(employee.afm);
        await B.page.locator('input[name=password]').fill('anything');
        await B.page.getByRole('button', { name: EL.registryLogin, exact: true }).click();
        await B.page.waitForURL(isPortal);
        await textIs(B.page.locator('#status'), EL.awaitingDataCheck, 'the portal status');
        const headers = (await B.page.locator('table#history th').allTextContents()).map((h) => h.replace(/\s+/g, ' ').trim());
        EL.historyColumns.forEach((column, i) => {
          assert.ok(headers[i]?.startsWith(column), `history column ${i + 1} should be «${column}…»: ${JSON.stringify(headers)}`);
        });
        const data = B.page.locator('dl#data');
        await textHas(data, person.surname, 'the data list (surname)');
        await textHas(data, person.given_name, 'the data list (given name)');
        await textHas(data, employee.afm, 'the data list (ΑΦΜ)');
        await noHorizontalOverflow(B.page, 'the portal awaiting the data check');
        await snap(B, 'portal-data-check');
      });

      await step('B: «Επιβεβαίωση στοιχείων» moves the application on to approval', async () => {
        const confirm = B.page.locator('button#confirm-data');
        await textIs(confirm, EL.confirmData, 'the confirm button');
        await confirm.click();
        await textIs(B.page.locator('#status'), EL.awaitingApproval, 'the portal status after confirming');
        await noHorizontalOverflow(B.page, 'the portal awaiting approval');
        await snap(B, 'portal-data-confirmed');
      });

      // ---------------------------------------------------------------------------------------
      await step('A: the card awaits approval; «Έγκριση αίτησης» approves', async () => {
        await A.page.goto(`${server.url}/employees/${employee.id}`);
        await textIs(A.page.locator('#application-status'), EL.awaitingApproval, 'the state on the card');
        await snap(A, 'console-card-awaiting-approval');
        await A.page.locator('#approve-application').click();
        await A.page.waitForURL((u) => u.pathname === `/employees/${employee.id}`);
        await textIs(A.page.locator('#application-status'), EL.awaitingIdentification, 'the state after approval');
        await textIs(A.page.locator('#action-message'), EL.approved, 'the message after approval');
        await snap(A, 'console-card-approved');
      });

      // ---------------------------------------------------------------------------------------
      const form = B.page.locator('form#identification-form');
      /** Fills the identification form (every field: a re-rendered form may have lost some). */
      async function fillIdentification(name) {
        await form.locator('input[name=username]').fill(name);
        await form.locator('input[name=password]').fill(signingPassword);
        await form.locator('input[name=password_confirm]').fill(signingPassword);
        await form.locator('input[name=otp_channel][value=totp]').check();
      }

      await step('B: awaiting identification; a username against the rules is refused', async () => {
        await B.page.goto(portalHome); // not reload(): the last page may be the answer to a POST
        await textIs(B.page.locator('#status'), EL.awaitingIdentification, 'the portal status after approval');
        await form.waitFor();
        assert.equal(await form.locator('input[name=otp_channel][value=email]').count(), 1, 'an «email» OTP channel');
        await textIs(B.page.locator('button#identification-submit'), EL.identificationSubmit, 'the identification button');
        await noHorizontalOverflow(B.page, 'the identification form');
        await snap(B, 'portal-identification');
        await fillIdentification('1abc'); // starts with a digit, and too short
        await B.page.locator('button#identification-submit').click();
        await textHas(B.page.locator('.govgr-error-summary'), EL.usernameField, 'the error summary');
        await noHorizontalOverflow(B.page, 'the identification form with an error');
        await snap(B, 'portal-identification-error');
      });

      await step('B: a valid username, password and «totp» lead to the authenticator enrolment', async () => {
        await fillIdentification(username);
        await B.page.locator('button#identification-submit').click();
        await B.page.waitForURL((u) => u.origin === portalOrigin && u.pathname === '/portal/totp');
      });

      // ---------------------------------------------------------------------------------------
      let secret;
      const typedCodes = []; // every one-time code typed, for the scan of the logs
      const readSecret = async () => {
        const text = ((await B.page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
        assert.ok(base32Decode(text).length >= 10, `a base32 secret of 80+ bits in #totp-secret: ${JSON.stringify(text)}`);
        return text;
      };
      const enrol = async (code1, code2) => {
        typedCodes.push(code1, code2);
        await B.page.locator('input[name=code1]').fill(code1);
        await B.page.locator('input[name=code2]').fill(code2);
        await B.page.locator('button#totp-submit').click();
      };

      await step('B: the enrolment page shows a QR code and the secret; a wrong pair is refused', async () => {
        assert.ok((await B.page.locator('#totp-qr svg').count()) >= 1, 'an SVG QR code in #totp-qr');
        await textIs(B.page.locator('button#totp-submit'), EL.totpSubmit, 'the enrolment button');
        secret = await readSecret();
        await noHorizontalOverflow(B.page, 'the TOTP enrolment page');
        await snap(B, 'portal-totp');
        const wrong = wrongCode(secret);
        await enrol(wrong, wrong);
        await B.page.locator('.govgr-error-summary').waitFor();
        await snap(B, 'portal-totp-error');
      });

      await step('B: two consecutive codes enrol the authenticator; awaiting the signature', async () => {
        // The page after the error shows the secret to enrol now (the same one, presumably).
        if ((await B.page.locator('#totp-secret').count()) > 0) secret = await readSecret();
        // Both codes must still be the latest two when the server checks them.
        await awayFromStepEdge();
        const now = currentStep();
        await enrol(totp(secret, now - 1), totp(secret, now));
        await B.page.waitForURL(isPortal);
        await textIs(B.page.locator('#status'), EL.awaitingSignature, 'the portal status after enrolment');
        await noHorizontalOverflow(B.page, 'the portal awaiting the signature');
        await snap(B, 'portal-awaiting-signature');
      });

      // ---------------------------------------------------------------------------------------
      const signForm = B.page.locator('form#sign-form');
      const sign = async (otp) => {
        typedCodes.push(otp);
        await signForm.locator('input[name=password]').fill(signingPassword);
        await signForm.locator('input[name=otp]').fill(otp);
        await signForm.locator('button#sign-submit').click();
      };

      await step('B: signing with a wrong one-time password is refused', async () => {
        await textIs(B.page.locator('button#sign-submit'), EL.signSubmit, 'the signing button');
        await sign(wrongCode(secret));
        await textHas(B.page.locator('.govgr-error-summary'), EL.otpField, 'the error summary');
        await noHorizontalOverflow(B.page, 'the signing form with an error');
        await snap(B, 'portal-sign-error');
      });

      await step('B: the password and a fresh code sign the application; awaiting issuance', async () => {
        // The next step's code: never the step the enrolment used, and within the accepted skew.
        await sign(totp(secret, currentStep() + 1));
        await textIs(B.page.locator('#status'), EL.awaitingIssuance, 'the portal status after signing');
        const history = B.page.locator('table#history tbody tr');
        const rows = (await history.allTextContents()).map((r) => r.replace(/\s+/g, ' ').trim());
        for (const action of EL.historyActions) {
          assert.ok(rows.some((r) => r.includes(action)), `a history row for «${action}»:\n  ${rows.join('\n  ')}`);
        }
        await noHorizontalOverflow(B.page, 'the portal awaiting issuance');
        await snap(B, 'portal-signed');
      });

      // ---------------------------------------------------------------------------------------
      await step('A: the ΔΨΠ cancels the issuance from the card', async () => {
        await A.page.goto(`${server.url}/employees/${employee.id}`);
        await textIs(A.page.locator('#application-status'), EL.awaitingIssuance, 'the state on the card');
        const cancel = A.page.getByRole('link', { name: EL.cancelButton, exact: true })
          .or(A.page.getByRole('button', { name: EL.cancelButton, exact: true }));
        await cancel.click();
        const dialog = A.page.getByRole('dialog');
        await dialog.waitFor({ state: 'visible' });
        await dialog.getByLabel(/Αιτιολογία/).fill(`Δοκιμή e2e της πλήρους διαδρομής (${employee.id})`);
        await snap(A, 'console-cancel-modal');
        await dialog.getByRole('button', { name: EL.approve, exact: true }).click();
        await A.page.waitForURL((u) => u.pathname === `/employees/${employee.id}`);
        await textIs(A.page.locator('#cancelled-message'), EL.cancelledMessage, 'the message after cancelling');
        await textIs(A.page.locator('#application-status'), EL.rejected, 'the state after cancelling');
        await snap(A, 'console-cancelled');
      });

      await step('B: the portal shows the rejection and who cancelled', async () => {
        await B.page.goto(portalHome); // not reload(): the last page may be the answer to a POST
        await textIs(B.page.locator('#status'), EL.rejected, 'the portal status after the cancellation');
        await textHas(B.page.locator('table#history'), EL.cancelledHistory, 'the portal history');
        await noHorizontalOverflow(B.page, 'the portal after the cancellation');
        await snap(B, 'portal-cancelled');
      });

      await step('the logs at debug level hold no password, token, code, secret or key', async () => {
        const cookies = [...await A.context.cookies(), ...await B.context.cookies()]
          .filter((c) => c.value.length >= 16)
          .map((c) => [`the cookie ${c.name}`, c.value]);
        // The demo keeps its key-encryption key beside its database.
        const kek = (await readFile(path.join(tmpDir, DEMO_KEK_FILE), 'utf8')).trim();
        const secrets = [
          ['the key-encryption key', kek],
          ['the ΔΨΠ password', ADMIN_PASSWORD],
          ['the signing password', signingPassword],
          ['the TOTP secret', secret],
          ['the API token', api.token],
          ...typedCodes.map((code) => ['a one-time code', code]),
          ...cookies,
        ];
        const logs = [['certdesk', server.logs().all], ['the local registry', registry.logs().all]];
        for (const [name, log] of logs) {
          if (name === 'certdesk') assert.ok(log.includes('DEBUG'), `${name} logged at debug level`);
          for (const [what, value] of secrets) {
            assert.ok(value && value.length >= 6, `${what} is known to the test`);
            // A six-digit code may come up by chance in a long log (a port, a duration): only
            // next to the words that would give it away.
            const found = value.length > 6
              ? log.includes(value)
              : new RegExp(`(otp|code|κωδικ)[^\n]{0,40}\b${value}\b`, 'i').test(log);
            assert.ok(!found, `${what} is in the log of ${name}`);
          }
          const key = /.{0,80}(-----BEGIN [A-Z ]*PRIVATE KEY-----|[Kk][Ee][Kk][=:]\s*[0-9a-fA-F]{64}).{0,80}/.exec(log);
          assert.ok(!key, `no key material in the log of ${name}: ${key?.[0]}`);
        }
      });

      assert.deepEqual(A.scriptErrors, [], 'no JavaScript errors in the console');
      assert.deepEqual(B.scriptErrors, [], 'no JavaScript errors in the portal');
    } catch (error) {
      error.message = `[${current}] ${error.message}${await report([['A (console)', A], ['B (portal)', B]])}`;
      console.error(`\njourney failed at: ${error.message}\n`);
      throw error;
    } finally {
      await A.context.close().catch(() => {});
      await B.context.close().catch(() => {});
    }
  });

  /** What explains a failure: screenshots and addresses of both sides, browser errors, and logs. */
  async function report(sides) {
    const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');
    let out = '';
    for (const [label, side] of sides) {
      if (side.page.isClosed()) continue;
      out += `\n${label}: ${side.page.url()}`;
      try {
        out += `\n  screenshot: ${await screenshot(side.page, `FAILED-journey-${label.split(' ')[0]}`)}`;
      } catch (e) {
        out += `\n  (screenshot failed: ${e.message})`;
      }
      if (side.errors.length) out += `\n  browser: ${side.errors.slice(-20).join('\n  browser: ')}`;
    }
    if (server) {
      const { stdout } = server.logs();
      // Without the worker's line for every batch of the demo's emails.
      const stderr = server.logs().stderr.split('\n').filter((l) => !l.includes('emails delivered')).join('\n');
      out += `\n--- certdesk stderr (last 8 KiB) ---\n${plain(stderr.slice(-8192))}\n--- certdesk stdout (last 4 KiB) ---\n${plain(stdout.slice(-4096))}`;
    }
    if (registry) out += `\n--- local registry stderr (last 4 KiB) ---\n${plain(registry.logs().stderr.slice(-4096))}`;
    if (sink) {
      // The demo's own emails are many: show those to the e2e addresses, and the last few.
      const shown = sink.messages.filter((m, i) => m.to.some((to) => to.startsWith('e2e.')) || i >= sink.messages.length - 5);
      const got = shown.map((m) => `  to ${m.to.join(', ')}: ${m.subject}`).join('\n');
      out += `\n--- emails received: ${sink.messages.length}; to e2e addresses, and the last 5 ---\n${got}`;
      out += `\n--- SMTP transcript (tail) ---\n${sink.transcript().split('\n').slice(-30).join('\n')}`;
    }
    return out;
  }
});
