// The holder of an issued certificate in the browser (issue 11): the beneficiary is taken to an
// issued certificate (the ΔΨΠ's steps through the API, the beneficiary's in a phone-sized
// portal), then reads the empty «Ιστορικό υπογραφών», changes the signing password
// («Αλλαγή κωδικού ψηφιακής υπογραφής», a wrong current one first), resynchronises an
// authenticator app that runs three minutes ahead («Συγχρονισμός OTP») and asks for revocation
// («Αίτημα ανάκλησης»); the ΔΨΠ finds the request with the console's filter, sees it on the card
// and revokes, and the portal shows the certificate revoked.
//
// As journey.test.js: the certdesk binary with the demo data (its CA issues at once), the local
// registry, an SMTP sink. Screenshots land in e2e/artifacts/holder-*.png.

import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { access, constants, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ARTIFACTS_DIR, launchBrowser, screenshot, startServer } from '../lib/browser.js';
import { pickEmployee } from '../lib/demo.js';
import { startSmtpSink } from '../lib/smtp.js';
import { currentStep, secondsLeftInStep, totp } from '../lib/totp.js';
import { Api, textHas, textIs, UI_TIMEOUT } from '../lib/ui.js';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_DIR = path.resolve(E2E_DIR, '..');
const BINARY = process.env.CERTDESK_BIN
  ? path.resolve(process.env.CERTDESK_BIN)
  : path.resolve(REPO_DIR, 'target', 'debug', 'certdesk');
const PEOPLE_CSV = path.join(REPO_DIR, 'crates', 'registry', 'demo-people.csv');

const ADMIN_USERNAME = 'm.georgiou@ypes.demo.gov.gr';
const ADMIN_PASSWORD = `e2e-${randomBytes(9).toString('hex')}`;

const EL = {
  issued: 'Το πιστοποιητικό εκδόθηκε',
  revoked: 'Το πιστοποιητικό ανακλήθηκε',
  awaitingDataCheck: 'Αναμένεται ο έλεγχος των στοιχείων του χρήστη',
  signatures: 'Ιστορικό υπογραφών',
  noSignatures: 'Δεν έχει γίνει ακόμη καμία υπογραφή με το πιστοποιητικό σας.',
  passwordTitle: 'Αλλαγή κωδικού ψηφιακής υπογραφής',
  wrongCurrent: 'Τρέχων κωδικός υπογραφής: δεν είναι σωστός',
  passwordChanged: 'Ο κωδικός ψηφιακής υπογραφής άλλαξε. Από τώρα υπογράφετε με τον νέο κωδικό.',
  noRecovery: 'Ο κωδικός ψηφιακής υπογραφής δεν ανακτάται.',
  otpSync: 'Συγχρονισμός OTP',
  synchronised: 'Η εφαρμογή επαλήθευσης συγχρονίστηκε. Οι επόμενοι κωδικοί της θα γίνονται δεκτοί.',
  revocationTitle: 'Αίτημα ανάκλησης',
  requested: 'Το αίτημα ανάκλησης υποβλήθηκε.',
  task: 'Αίτημα ανάκλησης από τον δικαιούχο',
  filter: 'Μόνο με αίτημα ανάκλησης',
};

const TEST_TIMEOUT = 300_000;
const EMAIL_TIMEOUT = 60_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const randomLetters = (n) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[randomInt(26)]).join('');

/** Waits, if needed, so that at least `seconds` remain in the current TOTP step. */
async function awayFromStepEdge(seconds = 5) {
  const left = secondsLeftInStep();
  if (left < seconds) await sleep(left * 1000 + 250);
}

describe('the holder of an issued certificate: signing log, signing password, OTP sync, revocation request', () => {
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
    for (const f of await readdir(ARTIFACTS_DIR).catch(() => [])) {
      if (f.startsWith('holder-') || f.startsWith('FAILED-holder')) await rm(path.join(ARTIFACTS_DIR, f), { force: true });
    }
    tmpDir = await mkdtemp(path.join(os.tmpdir(), 'certdesk-e2e-holder-'));
    registry = await startServer({
      binary: BINARY,
      args: ['registry', 'serve', '--people', PEOPLE_CSV],
      env: { NO_COLOR: '1' },
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
      ],
      env: { CERTDESK_DEMO_PASSWORD: ADMIN_PASSWORD, NO_COLOR: '1' },
    });
    api = new Api(server.url);
    await api.login(ADMIN_USERNAME, ADMIN_PASSWORD);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    await registry?.stop();
    await sink?.stop();
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  });

  async function newPage(viewport, extra = {}) {
    const context = await browser.newContext({ locale: 'el-GR', viewport, ...extra });
    context.setDefaultTimeout(UI_TIMEOUT);
    context.setDefaultNavigationTimeout(30_000);
    const page = await context.newPage();
    const scriptErrors = [];
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    return { context, page, scriptErrors };
  }

  test('the holder looks after their certificate and the ΔΨΠ answers the revocation request', { timeout: TEST_TIMEOUT }, async (t) => {
    const A = await newPage(DESKTOP);
    const B = await newPage(PHONE, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    let shot = 0;
    const snap = (side, name) => screenshot(side.page, `holder-${String(++shot).padStart(2, '0')}-${name}`);
    let current = '(setup)';
    async function step(name, fn) {
      current = name;
      t.diagnostic(name);
      await fn();
    }

    try {
      const employee = await pickEmployee(api, PEOPLE_CSV);
      const email = `e2e.${randomLetters(10)}@ypes.demo.gov.gr`;
      const username = `e2e${randomLetters(10)}`;
      const signingPassword = `E2e-Sign-${randomBytes(6).toString('hex')}!`;
      const newPassword = `E2e-New-${randomBytes(6).toString('hex')}!`;
      const reason = `Δοκιμή e2e: έχασα το κινητό (${employee.id})`;
      let secret;
      let portalHome;

      await step('to an issued certificate: the ΔΨΠ starts and approves (API), the beneficiary does the rest', async () => {
        const application = await api.call('POST', '/api/v1/applications', { afm: employee.afm, email }, 201);
        const message = await sink.waitForMessage((m) => m.to.includes(email) && m.subject.includes(EL.awaitingDataCheck), EMAIL_TIMEOUT);
        const link = (message.text.match(/https?:\/\/[^\s<>"'«»]+/g) ?? []).find((u) => u.includes('/portal/start?token='));
        assert.ok(link, `the «Έναρξη» link in:\n${message.text}`);
        portalHome = `${new URL(link).origin}/portal`;
        const atPortal = (u) => u.pathname === '/portal';
        await B.page.goto(link);
        await B.page.locator('a#portal-login').click();
        await B.page.locator('input[name=afm]').fill(employee.afm);
        await B.page.locator('input[name=password]').fill('anything');
        await B.page.getByRole('button', { name: 'Σύνδεση', exact: true }).click();
        await B.page.waitForURL(atPortal);
        await B.page.locator('button#confirm-data').click();
        await B.page.locator('#status').waitFor();
        await api.call('POST', `/api/v1/applications/${application.id}/approve`, {});
        await B.page.goto(portalHome);
        const form = B.page.locator('form#identification-form');
        await form.locator('input[name=username]').fill(username);
        await form.locator('input[name=password]').fill(signingPassword);
        await form.locator('input[name=password_confirm]').fill(signingPassword);
        await form.locator('input[name=otp_channel][value=totp]').check();
        await B.page.locator('button#identification-submit').click();
        await B.page.waitForURL((u) => u.pathname === '/portal/totp');
        secret = ((await B.page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
        await awayFromStepEdge();
        const now = currentStep();
        await B.page.locator('input[name=code1]').fill(totp(secret, now - 1));
        await B.page.locator('input[name=code2]').fill(totp(secret, now));
        await B.page.locator('button#totp-submit').click();
        await B.page.waitForURL(atPortal);
        const sign = B.page.locator('form#sign-form');
        await sign.locator('input[name=password]').fill(signingPassword);
        await sign.locator('input[name=otp]').fill(totp(secret, currentStep() + 1));
        await sign.locator('button#sign-submit').click();
        // The demo's CA issues within seconds.
        const deadline = Date.now() + 60_000;
        for (;;) {
          await B.page.goto(portalHome);
          const status = ((await B.page.locator('#status').textContent()) ?? '').trim();
          if (status === EL.issued) break;
          assert.ok(Date.now() < deadline, `the certificate was not issued within a minute (status «${status}»)`);
          await sleep(1_000);
        }
        await textHas(B.page.locator('#holder-links'), EL.passwordTitle, 'the holder\'s links');
        await snap(B, 'portal-issued');
      });

      await step('«Ιστορικό υπογραφών»: nothing signed yet', async () => {
        await B.page.locator('a#link-signatures').click();
        await textIs(B.page.locator('h1'), EL.signatures, 'the heading');
        await textIs(B.page.locator('#no-signatures'), EL.noSignatures, 'the empty log');
        await textIs(B.page.locator('#signatures-total'), '0', 'the total');
        await snap(B, 'portal-signatures');
      });

      await step('«Αλλαγή κωδικού ψηφιακής υπογραφής»: a wrong current password, then the change', async () => {
        await B.page.goto(portalHome);
        await B.page.locator('a#link-signing-password').click();
        await textIs(B.page.locator('h1'), EL.passwordTitle, 'the heading');
        await textHas(B.page.locator('#no-recovery'), EL.noRecovery, 'the warning that there is no recovery');
        const fill = async (current) => {
          await B.page.locator('#current_signing_password').fill(current);
          await B.page.locator('#new_signing_password').fill(newPassword);
          await B.page.locator('#new_signing_password_confirm').fill(newPassword);
          await B.page.locator('button#signing-password-submit').click();
        };
        await fill('λάθος κωδικός υπογραφής');
        await textHas(B.page.locator('#portal-error'), EL.wrongCurrent, 'the error summary');
        await snap(B, 'portal-signing-password-wrong');
        await fill(signingPassword);
        await textIs(B.page.locator('#portal-notice'), EL.passwordChanged, 'the success message');
        await snap(B, 'portal-signing-password-changed');
      });

      await step('«Συγχρονισμός OTP»: an app three minutes ahead', async () => {
        await B.page.goto(portalHome);
        await B.page.locator('a#link-otp-sync').click();
        await textIs(B.page.locator('h1'), EL.otpSync, 'the heading');
        await awayFromStepEdge();
        const ahead = currentStep() + 6;
        await B.page.locator('input[name=code1]').fill(totp(secret, ahead - 1));
        await B.page.locator('input[name=code2]').fill(totp(secret, ahead));
        await B.page.locator('button#otp-sync-submit').click();
        await textIs(B.page.locator('#portal-notice'), EL.synchronised, 'the success message');
        await snap(B, 'portal-otp-synchronised');
        // A document system signs with the new password and the drifted app's next code.
        const digest = createHash('sha256').update(`Απόφαση e2e ${employee.id}`).digest();
        const answer = await fetch(`${server.url}/Sign/Api/SignBuffer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ Username: username, Password: newPassword, SignPassword: totp(secret, ahead + 1), BufferToSign: digest.toString('base64') }),
        });
        const signed = await answer.json();
        assert.equal(answer.status, 200, `SignBuffer: ${JSON.stringify(signed)}`);
        assert.equal(signed.Success, 'true');
        await B.page.goto(`${portalHome.replace(/\/portal$/, '')}/portal/signatures`);
        await textIs(B.page.locator('#signatures-total'), '1', 'the total after a signature');
        await textHas(B.page.locator('table#signatures'), 'SignBuffer', 'the client in the log');
        await textHas(B.page.locator('table#signatures'), digest.toString('hex'), 'the digest in the log');
        await snap(B, 'portal-signatures-one');
      });

      await step('«Αίτημα ανάκλησης» with a reason', async () => {
        await B.page.goto(portalHome);
        await B.page.locator('a#link-revocation-request').click();
        await textIs(B.page.locator('h1'), EL.revocationTitle, 'the heading');
        await B.page.locator('#reason').fill(reason);
        await B.page.locator('button#revocation-request-submit').click();
        await textIs(B.page.locator('#portal-notice'), EL.requested, 'the success message');
        await textIs(B.page.locator('#revocation-reason'), reason, 'the request\'s reason');
        await snap(B, 'portal-revocation-requested');
      });

      await step('the ΔΨΠ finds the request with the filter, sees it on the card and revokes', async () => {
        await A.page.goto(`${server.url}/login`);
        await A.page.locator('#username').fill(ADMIN_USERNAME);
        await A.page.locator('#password').fill(ADMIN_PASSWORD);
        await A.page.getByRole('button', { name: 'Σύνδεση' }).click();
        await A.page.waitForURL(/\/employees(\?|$)/);
        await A.page.getByLabel(EL.filter).check();
        await A.page.locator('#search-button').click();
        await A.page.waitForURL(/revocation_requested=true/);
        const row = A.page.locator(`tr[data-employee-id="${employee.id}"]`);
        await textHas(row, EL.revocationTitle, 'the row\'s mark');
        await snap(A, 'console-filter');
        await row.locator('a.details-link').click();
        await A.page.waitForURL((u) => u.pathname === `/employees/${employee.id}`);
        await textHas(A.page.locator('#revocation-request'), EL.task, 'the task on the card');
        await textIs(A.page.locator('#revocation-reason'), reason, 'the reason on the card');
        await snap(A, 'console-card-task');
        await A.page.locator('#revoke-open').click();
        assert.ok(await A.page.locator('input[name=category][value=employee_request]').isChecked(), 'the category the request calls for');
        await A.page.locator('#revoke-confirm').click();
        await textIs(A.page.locator('#application-status'), EL.revoked, 'the state after the revocation');
        assert.equal(await A.page.locator('#revocation-request').count(), 0, 'the task is done');
        await snap(A, 'console-revoked');
      });

      await step('the portal shows the certificate revoked; its signing log stays readable', async () => {
        await B.page.goto(portalHome);
        await textIs(B.page.locator('#status'), EL.revoked, 'the portal status');
        assert.equal(await B.page.locator('a#link-signing-password').count(), 0, 'no password to change any more');
        await B.page.locator('a#link-signatures').click();
        await textIs(B.page.locator('h1'), EL.signatures, 'the heading');
        await snap(B, 'portal-revoked');
      });

      assert.deepEqual(A.scriptErrors, [], 'no JavaScript errors in the console');
      assert.deepEqual(B.scriptErrors, [], 'no JavaScript errors in the portal');
    } catch (error) {
      for (const [label, side] of [['A', A], ['B', B]]) {
        if (!side.page.isClosed()) {
          const file = await screenshot(side.page, `FAILED-holder-${label}`).catch(() => '(no screenshot)');
          error.message += `\n${label}: ${side.page.url()} ${file}`;
        }
      }
      error.message = `[${current}] ${error.message}\n--- certdesk stderr (tail) ---\n${server?.logs().stderr.slice(-4096)}`;
      throw error;
    } finally {
      await A.context.close().catch(() => {});
      await B.context.close().catch(() => {});
    }
  });
});
