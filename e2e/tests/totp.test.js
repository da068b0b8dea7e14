// Self-checks of the journey test's own tools, which need neither certdesk nor a browser:
// the TOTP codes (RFC 6238 / RFC 4226 test vectors) and the SMTP sink (a hand-written client
// sends it a multipart Greek message as a mail library would).

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { startSmtpSink } from '../lib/smtp.js';
import { base32Decode, currentStep, totp } from '../lib/totp.js';

// RFC 6238 appendix B uses the ASCII secret "12345678901234567890" for SHA1.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238)', () => {
  test('base32: RFC 4648 alphabet, spaces, case and padding ignored', () => {
    assert.equal(base32Decode(RFC_SECRET).toString('ascii'), '12345678901234567890');
    assert.equal(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq').toString('ascii'), '12345678901234567890');
    assert.equal(base32Decode('MZXW6YQ=').toString('ascii'), 'foob'); // RFC 4648 §10
    assert.equal(base32Decode('MZXW6YTBOI').toString('ascii'), 'foobar');
    assert.throws(() => base32Decode('ABC1'), /not a base32 character/);
  });

  test('the SHA1 test vectors of RFC 6238 appendix B (8 digits)', () => {
    const vectors = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) {
      assert.equal(totp(RFC_SECRET, Math.floor(seconds / 30), 8), code, `T = ${seconds}`);
    }
  });

  test('6 digits by default: the HOTP vectors of RFC 4226 appendix D (counter = step)', () => {
    const codes = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    codes.forEach((code, counter) => assert.equal(totp(RFC_SECRET, counter), code, `counter ${counter}`));
  });

  test('currentStep is floor(unix seconds / 30)', () => {
    assert.equal(currentStep(59_000), 1);
    assert.equal(currentStep(60_000), 2);
    const now = Date.now();
    assert.ok(Math.abs(currentStep() - Math.floor(now / 30_000)) <= 1);
  });
});

// ---------------------------------------------------------------------------------------------

/** A minimal SMTP client: send a command (or nothing), read one complete reply. */
function smtpClient(port) {
  const socket = net.connect(port, '127.0.0.1');
  let buffer = '';
  let waiting = null;
  const tryReply = () => {
    // A reply is complete at a line "NNN text" (a line "NNN-text" means more follow).
    const m = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer);
    if (!m || !waiting) return;
    const reply = buffer.slice(0, m.index + m[0].length);
    buffer = buffer.slice(m.index + m[0].length);
    const { resolve } = waiting;
    waiting = null;
    resolve({ code: Number(m[1]), text: reply });
  };
  let failure = null;
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => { buffer += chunk; tryReply(); });
  socket.on('error', (error) => {
    failure = error;
    waiting?.reject(error);
    waiting = null;
  });
  const read = () => new Promise((resolve, reject) => {
    if (failure) return reject(failure);
    waiting = { resolve, reject };
    tryReply();
  });
  return {
    read,
    async send(line, expected) {
      socket.write(`${line}\r\n`);
      const reply = await read();
      assert.equal(reply.code, expected, `${line} → ${reply.text}`);
      return reply;
    },
    write: (data) => socket.write(data),
    close: () => socket.destroy(),
  };
}

const b64Lines = (text) => Buffer.from(text, 'utf8').toString('base64').replace(/.{1,76}/g, '$&\r\n');

/** Quoted-printable as a mail library writes it: bytes outside printable ASCII and '=' escaped, soft breaks before 76 columns. */
function quotedPrintable(text) {
  return text.split('\n').map((line) => {
    const tokens = [...Buffer.from(line, 'utf8')].map((b) =>
      b < 0x20 || b > 0x7e || b === 0x3d ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b));
    const out = [];
    let current = '';
    for (const token of tokens) {
      if (current.length + token.length > 72) {
        out.push(`${current}=`); // soft line break
        current = '';
      }
      current += token;
    }
    out.push(current);
    return out.join('\r\n');
  }).join('\r\n');
}

/** Q encoding of an RFC 2047 encoded-word: every byte escaped, which is always allowed. */
const qWord = (text) => [...Buffer.from(text, 'utf8')].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

describe('SMTP sink', () => {
  let sink;
  before(async () => { sink = await startSmtpSink(); });
  after(async () => { await sink?.stop(); });

  test('receives a multipart/mixed + alternative Greek message and decodes it', async () => {
    const text = 'Αγαπητή Μαρία,\nη αίτησή σας προχωρά.\nΈναρξη: http://127.0.0.1:1/portal\n.τελεία στην αρχή\n';
    const html = '<p>Αγαπητή Μαρία,</p>\n.<a href="http://127.0.0.1:1/portal">Έναρξη</a>\n';
    const qp = quotedPrintable(html);
    const subjectB = Buffer.from('Ψηφιακό πιστοποιητικό: ', 'utf8').toString('base64');
    // A folded header of B and Q words: the space between encoded-words disappears.
    const subjectQ = qWord('Αναμένεται');
    const message = [
      'From: certdesk <noreply@certdesk.test>',
      'To: maria@example.test',
      `Subject: =?utf-8?b?${subjectB}?=`,
      ` =?UTF-8?Q?${subjectQ}?= =?utf-8?B?${Buffer.from(' ο έλεγχος', 'utf8').toString('base64')}?=`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer=="',
      '',
      'preamble',
      '--outer==',
      'Content-Type: multipart/alternative;',
      ' boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64Lines(text).trimEnd(),
      '--inner',
      'Content-Type: text/html; charset="UTF-8"',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      qp,
      '--inner--',
      '--outer==',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Disposition: attachment; filename="x.txt"',
      'Content-Transfer-Encoding: 8bit',
      '',
      'συνημμένο, όχι το κείμενο',
      '--outer==--',
      '',
    ].join('\r\n');

    const client = smtpClient(sink.port);
    try {
      assert.equal((await client.read()).code, 220);
      const ehlo = await client.send('EHLO test.local', 250);
      assert.match(ehlo.text, /8BITMIME/);
      assert.doesNotMatch(ehlo.text, /STARTTLS|AUTH/);
      await client.send('NOOP', 250);
      await client.send('MAIL FROM:<noreply@certdesk.test> BODY=8BITMIME', 250);
      await client.send('RSET', 250);
      await client.send('RCPT TO:<nobody@example.test>', 503); // the transaction was reset
      await client.send('MAIL FROM:<noreply@certdesk.test> BODY=8BITMIME', 250);
      await client.send('RCPT TO:<maria@example.test>', 250);
      await client.send('RCPT TO:<copy@example.test>', 250);
      await client.send('DATA', 354);
      const waiting = sink.waitForMessage((m) => m.to.includes('maria@example.test'), 5_000);
      // Dot-stuffing: a line that starts with '.' gets another.
      const stuffed = message.split('\r\n').map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
      client.write(stuffed.endsWith('\r\n') ? stuffed : `${stuffed}\r\n`);
      await client.send('.', 250);
      await client.send('QUIT', 221);

      const got = await waiting;
      assert.equal(got.from, 'noreply@certdesk.test');
      assert.deepEqual(got.to, ['maria@example.test', 'copy@example.test']);
      assert.equal(got.subject, 'Ψηφιακό πιστοποιητικό: Αναμένεται ο έλεγχος');
      assert.equal(got.text.replace(/\r\n/g, '\n'), text);
      assert.equal(got.html.replace(/\r\n/g, '\n'), html);
      assert.equal(got.headers.from, 'certdesk <noreply@certdesk.test>');
      assert.ok(got.raw.includes('\r\n.<a href=3D'), 'the raw message keeps the leading dot once');
      assert.ok(!got.raw.includes('\r\n..'), 'the raw message has no dot-stuffing left');
      assert.equal(sink.messages.length, 1);
    } finally {
      client.close();
    }
  });

  test('a single 8bit part, and waitForMessage times out naming what came', async () => {
    const client = smtpClient(sink.port);
    try {
      await client.read();
      await client.send('HELO test.local', 250);
      await client.send('MAIL FROM:<a@b.test>', 250);
      await client.send('RCPT TO:<c@d.test>', 250);
      await client.send('DATA', 354);
      client.write(`Subject: =?utf-8?q?${qWord('Γεια')}_${qWord('σου')}?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nΚαλημέρα\r\n..\r\n`);
      await client.send('.', 250);
      const got = await sink.waitForMessage((m) => m.to[0] === 'c@d.test', 2_000);
      assert.equal(got.subject, 'Γεια σου');
      assert.equal(got.text, 'Καλημέρα\r\n.\r\n');
      assert.equal(got.html, '');
      await assert.rejects(sink.waitForMessage((m) => m.to.includes('nobody@x.test'), 200), /no matching email within 200 ms; received 2/);
      await client.send('QUIT', 221);
    } finally {
      client.close();
    }
  });
});
