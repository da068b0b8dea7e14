// Helpers for the certdesk browser tests: a headless Chromium (Debian's, driven by
// playwright-core, which never downloads a browser of its own), the certdesk server on a
// free loopback port, and screenshots into e2e/artifacts/ (git-ignored).

import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS_DIR = path.resolve(here, '..', 'artifacts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium ($CHROMIUM_PATH, else Debian's /usr/bin/chromium). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A TCP port that was free on 127.0.0.1 a moment ago (listen on port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns `binary ...args --listen 127.0.0.1:PORT` with `env` (added to process.env), waits
 * until GET `readyPath` (default /healthz) answers 200 (polled every 100 ms, up to 60 s) and
 * returns { url, port, proc, stop(), logs() } (logs().all: the whole log on stderr). Fails with the process's stderr if it exits first
 * or the wait times out. `name` only labels the error messages (e.g. "local registry").
 */
export async function startServer({ binary, args = [], env = {}, readyPath = '/healthz', name = 'certdesk server' }) {
  if (!binary) throw new Error('startServer: binary is required');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(binary, [...args, '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stdout = '';
  let stderr = '';
  const allStderr = []; // every line of the log, for the scan for secrets
  const keep = (s, chunk) => (s + chunk).slice(-64 * 1024); // last 64 KiB is enough to diagnose
  proc.stdout.setEncoding('utf8').on('data', (c) => { stdout = keep(stdout, c); });
  proc.stderr.setEncoding('utf8').on('data', (c) => { stderr = keep(stderr, c); allStderr.push(c); });

  let exited = null; // { code, signal } once the process has ended
  const exitedPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); });
  });
  let spawnError = null;
  proc.on('error', (err) => { spawnError = err; });

  async function stop() {
    if (exited) return exited;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => { if (!exited) proc.kill('SIGKILL'); }, 10_000);
    try {
      return await exitedPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  const describe = () =>
    `${binary} ${[...args, '--listen', `127.0.0.1:${port}`].join(' ')}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (spawnError) throw new Error(`${name} could not be started: ${spawnError.message}\n${describe()}`);
    if (exited) {
      throw new Error(
        `${name} exited (code ${exited.code}, signal ${exited.signal}) before ${readyPath} answered\n${describe()}`,
      );
    }
    try {
      const res = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer().catch(() => {});
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not answer 200 on ${url}${readyPath} within 60 s\n${describe()}`);
    }
    await sleep(100);
  }

  return { url, port, proc, stop, logs: () => ({ stdout, stderr, all: allStderr.join('') }) };
}

/** Saves a full-page PNG of `page` as e2e/artifacts/NAME.png and returns its path. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const safe = String(name).replace(/[^A-Za-z0-9._-]+/g, '_');
  const file = path.join(ARTIFACTS_DIR, safe.endsWith('.png') ? safe : `${safe}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
