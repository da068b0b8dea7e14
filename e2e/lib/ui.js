// Helpers shared by the browser tests: waiting for an element's text, and the certdesk JSON API
// as a small client (for choosing test data and checking what the UI did).

import assert from 'node:assert/strict';

/** How long a UI expectation may take before it fails. */
export const UI_TIMEOUT = 15_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until the locator's text (whitespace collapsed) satisfies `check`; fails naming what it saw. */
export async function waitForText(locator, check, what, timeout = UI_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let seen = '(element not found)';
  for (;;) {
    if ((await locator.count()) > 0) {
      seen = ((await locator.first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
      if (check(seen)) return seen;
    }
    if (Date.now() > deadline) {
      throw new assert.AssertionError({ message: `${what}: got ${JSON.stringify(seen)}`, actual: seen });
    }
    await sleep(100);
  }
}

export const textIs = (locator, expected, what) =>
  waitForText(locator, (s) => s === expected, `${what} should be ${JSON.stringify(expected)}`);
export const textHas = (locator, expected, what) =>
  waitForText(locator, (s) => s.includes(expected), `${what} should contain ${JSON.stringify(expected)}`);

/** Waits until an input's value is `expected`; fails naming the value it saw. */
export async function valueIs(locator, expected, what, timeout = UI_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let seen = '(element not found)';
  for (;;) {
    if ((await locator.count()) > 0) {
      // The page may be replaced (a form submitted) between count() and inputValue().
      seen = await locator.first().inputValue({ timeout: 1_000 }).catch(() => seen);
      if (seen === expected) return seen;
    }
    if (Date.now() > deadline) {
      throw new assert.AssertionError({ message: `${what} should be ${JSON.stringify(expected)}: got ${JSON.stringify(seen)}`, actual: seen, expected });
    }
    await sleep(100);
  }
}

/** The JSON API as a test helper: throws with the body on an unexpected status. */
export class Api {
  constructor(base) {
    this.base = base;
    this.token = null;
  }

  async call(method, urlPath, body, expected = 200) {
    const headers = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${urlPath}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== expected) {
      throw new Error(`${method} ${urlPath}: expected HTTP ${expected}, got ${res.status}: ${text.slice(0, 2000)}`);
    }
    return text ? JSON.parse(text) : null;
  }

  async login(username, password) {
    const answer = await this.call('POST', '/api/v1/auth/login', { username, password });
    assert.ok(answer.token, `login answered without a token: ${JSON.stringify(answer)}`);
    this.token = answer.token;
  }

  search(params) {
    return this.call('GET', `/api/v1/employees?${new URLSearchParams(params)}`);
  }

  employee(id) {
    return this.call('GET', `/api/v1/employees/${id}`);
  }
}
