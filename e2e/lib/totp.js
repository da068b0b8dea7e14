// TOTP codes (RFC 6238: HOTP of RFC 4226 over HMAC-SHA1, 30-second steps) from a base32 secret,
// as an authenticator app computes them: the browser tests enrol and sign with these.

import { createHmac } from 'node:crypto';

/** Length of one TOTP time step, in seconds. */
export const STEP_SECONDS = 30;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The bytes of a base32 text (RFC 4648 alphabet). Spaces (the way secrets are shown for typing)
 * and any trailing '=' are ignored, letters may be of either case; anything else is an error, so
 * that a secret scraped wrongly from a page fails loudly instead of giving wrong codes.
 */
export function base32Decode(text) {
  const clean = String(text).replace(/\s+/g, '').replace(/=+$/, '').toUpperCase();
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    const value = ALPHABET.indexOf(ch);
    if (value < 0) throw new Error(`not a base32 character: ${JSON.stringify(ch)} in ${JSON.stringify(text)}`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
    }
    buffer &= (1 << bits) - 1; // keep only the bits not yet emitted
  }
  return Buffer.from(bytes);
}

/** The current time step: floor(unix seconds / 30). */
export function currentStep(nowMs = Date.now()) {
  return Math.floor(nowMs / 1000 / STEP_SECONDS);
}

/** Seconds left in the current time step (to avoid typing a code just before it changes). */
export function secondsLeftInStep(nowMs = Date.now()) {
  return STEP_SECONDS - ((nowMs / 1000) % STEP_SECONDS);
}

/** The TOTP code of `secretBase32` for time step `step`, `digits` long (zero-padded). */
export function totp(secretBase32, step, digits = 6) {
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`invalid TOTP step: ${step}`);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  // RFC 4226 §5.3 dynamic truncation: 31 bits from the offset given by the last nibble.
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}
