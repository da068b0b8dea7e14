// «Υπογραφή εγγράφου» in the browser (issue 11): the demo's beneficiary (the lines
// `beneficiary-…` that `certdesk serve --demo` prints) logs in to the portal through the local
// registry, uploads a PDF, asks for a visible signature, confirms with the signing password and
// a code of their authenticator app, and downloads the signed PDF. pyHanko (the test command's
// target/pyhanko-venv) validates it against the demo's root with revocation checked online at
// the server's own OCSP responder, hard-fail: intact and trusted; and again offline, from the
// certificates, OCSP answer and root CRL embedded in the file (PAdES B-LT).
//
// Screenshots land in e2e/artifacts/documents-*.png.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { launchBrowser, screenshot, startServer } from '../lib/browser.js';
import { currentStep, secondsLeftInStep, totp } from '../lib/totp.js';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_DIR = path.resolve(E2E_DIR, '..');
const BINARY = process.env.CERTDESK_BIN
  ? path.resolve(process.env.CERTDESK_BIN)
  : path.resolve(REPO_DIR, 'target', 'debug', 'certdesk');
const PEOPLE_CSV = path.join(REPO_DIR, 'crates', 'registry', 'demo-people.csv');
const PYTHON = process.env.CERTDESK_PYHANKO_PYTHON
  || path.join(REPO_DIR, 'target', 'pyhanko-venv', 'bin', 'python');
const VALIDATE = path.join(REPO_DIR, 'crates', 'testkit', 'src', 'pyhanko_validate.py');
const PASSWORD = `e2e-${randomBytes(9).toString('hex')}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A one-page PDF 1.7 with a line of text, its cross-reference offsets computed. */
function helloPdf() {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null, // the content stream, below
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const content = 'BT /F1 24 Tf 72 720 Td (Decision 42/2026) Tj ET';
  objects[3] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  let pdf = '%PDF-1.7\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** The value of a `key: value` line certdesk printed. */
function printed(stdout, key) {
  const line = stdout.split('\n').find((l) => l.startsWith(`${key}: `));
  assert.ok(line, `a «${key}:» line in:\n${stdout}`);
  return line.slice(key.length + 2).trim();
}

describe('the demo beneficiary signs a PDF in the portal', () => {
  let tmpDir;
  let registry;
  let server;
  let browser;

  before(async () => {
    await access(BINARY, constants.X_OK);
    await access(PYTHON, constants.X_OK).catch(() => {
      throw new Error(`no Python with pyHanko at ${PYTHON}: run scripts/test, or set CERTDESK_PYHANKO_PYTHON`);
    });
    tmpDir = await mkdtemp(path.join(os.tmpdir(), 'certdesk-e2e-documents-'));
    registry = await startServer({
      binary: BINARY,
      args: ['registry', 'serve', '--people', PEOPLE_CSV],
      env: { NO_COLOR: '1' },
      readyPath: '/oauth2/authorize?response_type=code&client_id=certdesk&redirect_uri=http://x/&state=s'
        + '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
      name: 'local registry',
    });
    server = await startServer({
      binary: BINARY,
      args: [
        'serve',
        '--db', `sqlite://${path.join(tmpDir, 'certdesk.db')}`,
        '--demo',
        '--registry-url', `${registry.url}/`,
      ],
      env: { CERTDESK_DEMO_PASSWORD: PASSWORD, NO_COLOR: '1' },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    await registry?.stop();
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  });

  test('upload, confirm with the authenticator, download: pyHanko finds it intact and trusted', { timeout: 180_000 }, async () => {
    const { stdout } = server.logs();
    const afm = printed(stdout, 'beneficiary-afm');
    const password = printed(stdout, 'beneficiary-password');
    const secret = printed(stdout, 'beneficiary-totp-secret');
    assert.equal(password, PASSWORD, 'the signing password is the demo password');

    const context = await browser.newContext({ acceptDownloads: true, locale: 'el-GR' });
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/portal`);
      await page.locator('a#portal-login').click();
      await page.locator('input[name=afm]').fill(afm);
      await page.locator('input[name=password]').fill('anything');
      await page.getByRole('button', { name: 'Σύνδεση', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/portal');
      await page.locator('a#sign-documents').click();
      await page.waitForURL((u) => u.pathname === '/portal/documents');
      await page.getByRole('heading', { name: 'Υπογραφή εγγράφου' }).waitFor();

      const original = path.join(tmpDir, 'decision.pdf');
      await writeFile(original, helloPdf());
      await page.locator('input#documents').setInputFiles(original);
      await page.locator('input#visible').check();
      await page.locator('input#page').fill('1');
      await page.locator('input#documents-password').fill(password);
      if (secondsLeftInStep() < 5) await sleep(secondsLeftInStep() * 1000 + 250);
      await page.locator('input#documents-otp').fill(totp(secret, currentStep()));
      await screenshot(page, 'documents-form');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('button#documents-submit').click(),
      ]);
      assert.equal(download.suggestedFilename(), 'decision-signed.pdf');
      const signed = path.join(tmpDir, 'decision-signed.pdf');
      await download.saveAs(signed);

      const root = path.join(tmpDir, 'root.crt');
      const served = await fetch(`${server.url}/pki/root-ca.crt`);
      assert.equal(served.status, 200);
      await writeFile(root, Buffer.from(await served.arrayBuffer()));
      const { stdout: report } = await promisify(execFile)(PYTHON, [VALIDATE, signed, root, 'online']);
      const [signature] = JSON.parse(report).signatures;
      assert.equal(signature.intact, true, report);
      assert.equal(signature.trusted, true, report);
      assert.equal(signature.revoked, false, report);
      assert.equal(signature.sub_filter, '/ETSI.CAdES.detached', report);

      // B-LT: the same file validates from the data embedded in it, fetching nothing.
      const { stdout: embedded } = await promisify(execFile)(PYTHON, [VALIDATE, signed, root, 'ltv']);
      const [offline] = JSON.parse(embedded).signatures;
      assert.equal(offline.intact, true, embedded);
      assert.equal(offline.trusted, true, embedded);
      assert.equal(offline.bottom_line, true, embedded);
    } catch (error) {
      await screenshot(page, 'FAILED-documents').catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  });
});
