// An SMTP sink for the browser tests: a real SMTP server on a loopback port (node:net, no
// dependency) that accepts every message, keeps it in memory and decodes it, so a test can wait
// for the email certdesk sends and follow its link.
//
// It speaks the part of ESMTP (RFC 5321) that a plain client such as lettre uses: the 220
// greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA (dot-stuffing undone), RSET, NOOP and QUIT. It
// advertises 8BITMIME and SMTPUTF8 but neither STARTTLS nor AUTH: certdesk speaks plain SMTP to
// a trusted relay, and a client that tried TLS here would be a bug worth seeing.
//
// Each message is decoded (RFC 2045–2047): the Subject's encoded-words, and the text/plain and
// text/html parts of the body (also inside multipart/mixed), from base64, quoted-printable or
// 7bit/8bit, into { from, to, subject, text, html, headers, raw }.

import net from 'node:net';

const HOSTNAME = 'sink.certdesk.test';

/**
 * Starts the sink on 127.0.0.1 (a free port unless `port` is given). Returns
 * { port, messages, waitForMessage(predicate, timeoutMs), transcript(), stop() }.
 */
export async function startSmtpSink({ port = 0 } = {}) {
  const messages = [];
  const waiters = new Set(); // { predicate, resolve }
  const sockets = new Set();
  const lines = []; // the last commands and replies, to explain a failure
  const note = (line) => {
    lines.push(line);
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };

  function received(message) {
    messages.push(message);
    for (const waiter of [...waiters]) {
      let matches = false;
      try {
        matches = waiter.predicate(message);
      } catch {
        // a predicate that throws on this message does not match it
      }
      if (matches) {
        waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  }

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // a client that hangs up is not the test's failure
    serveSession(socket, received, note);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  /**
   * The first message (already received or still to come) for which `predicate` is true;
   * rejects after `timeoutMs` naming the messages that did arrive.
   */
  function waitForMessage(predicate = () => true, timeoutMs = 30_000) {
    const already = messages.find((m) => {
      try {
        return predicate(m);
      } catch {
        return false;
      }
    });
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve: null };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const last = messages.slice(-10).map((m) => `  to ${m.to.join(', ')}: ${JSON.stringify(m.subject)}`).join('\n');
        const which = messages.length > 10 ? `, the last 10` : '';
        reject(new Error(`no matching email within ${timeoutMs} ms; received ${messages.length}${which}:\n${last || '  (none)'}`));
      }, timeoutMs);
      waiter.resolve = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      waiters.add(waiter);
    });
  }

  function stop() {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  return {
    port: server.address().port,
    messages,
    waitForMessage,
    transcript: () => lines.join('\n'),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// The SMTP session

/** Runs one client's session: commands line by line, then the message body after DATA. */
function serveSession(socket, received, note) {
  let pending = Buffer.alloc(0); // bytes not yet split into lines
  let envelope = null; // { from, to: [] } between MAIL FROM and the end of DATA
  let dataLines = null; // the message's lines while reading DATA

  const reply = (text) => {
    note(`S: ${text.replace(/\r\n/g, '\n   ')}`);
    if (!socket.destroyed) socket.write(`${text}\r\n`);
  };
  reply(`220 ${HOSTNAME} ESMTP certdesk test sink`);

  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf(0x0a); // LF; the CR before it is stripped below
      if (end < 0) break;
      let line = pending.subarray(0, end);
      pending = pending.subarray(end + 1);
      if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);

      if (dataLines) {
        if (line.length === 1 && line[0] === 0x2e) {
          // CRLF.CRLF: the message is complete.
          const raw = Buffer.concat(dataLines.flatMap((l) => [l, Buffer.from('\r\n')])).toString('utf8');
          dataLines = null;
          let message;
          try {
            message = { ...parseMessage(raw), from: envelope.from, to: envelope.to };
          } catch (error) {
            message = { from: envelope.from, to: envelope.to, subject: '', text: '', html: '', headers: {}, raw, parseError: error.message };
          }
          envelope = null;
          reply(`250 2.0.0 OK: queued as ${Date.now()}`);
          received(message);
        } else {
          // Dot-stuffing (RFC 5321 §4.5.2): a leading '.' was doubled by the client.
          dataLines.push(line[0] === 0x2e ? line.subarray(1) : line);
        }
        continue;
      }

      const command = line.toString('utf8');
      note(`C: ${command}`);
      const verb = command.split(/\s/, 1)[0].toUpperCase();
      const argument = command.slice(verb.length).trim();
      switch (verb) {
        case 'EHLO':
          envelope = null;
          reply(`250-${HOSTNAME} greets ${argument || 'you'}\r\n250-8BITMIME\r\n250 SMTPUTF8`);
          break;
        case 'HELO':
          envelope = null;
          reply(`250 ${HOSTNAME}`);
          break;
        case 'MAIL': {
          const m = /^FROM:\s*<([^>]*)>/i.exec(argument);
          if (!m) {
            reply('501 5.5.4 Syntax: MAIL FROM:<address>');
          } else {
            envelope = { from: m[1], to: [] };
            reply('250 2.1.0 OK');
          }
          break;
        }
        case 'RCPT': {
          const m = /^TO:\s*<([^>]+)>/i.exec(argument);
          if (!envelope) reply('503 5.5.1 MAIL first');
          else if (!m) reply('501 5.5.4 Syntax: RCPT TO:<address>');
          else {
            envelope.to.push(m[1]);
            reply('250 2.1.5 OK');
          }
          break;
        }
        case 'DATA':
          if (!envelope || envelope.to.length === 0) {
            reply('503 5.5.1 RCPT first');
          } else {
            dataLines = [];
            reply('354 End data with <CR><LF>.<CR><LF>');
          }
          break;
        case 'RSET':
          envelope = null;
          reply('250 2.0.0 OK');
          break;
        case 'NOOP':
          reply('250 2.0.0 OK');
          break;
        case 'VRFY':
          reply('252 2.1.5 Cannot VRFY, but will accept');
          break;
        case 'QUIT':
          reply(`221 2.0.0 ${HOSTNAME} closing`);
          socket.end();
          return;
        case 'STARTTLS':
        case 'AUTH':
          reply('502 5.5.1 Not offered by this sink');
          break;
        case '':
          reply('500 5.5.2 Empty command');
          break;
        default:
          reply('502 5.5.2 Command not implemented');
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Decoding a message (RFC 2045–2047)

/** Text decoded from `bytes` in `charset` (UTF-8 when the charset is unknown or absent). */
function decodeCharset(bytes, charset = 'utf-8') {
  const label = String(charset || 'utf-8').split('*')[0].trim().toLowerCase(); // RFC 2231 language suffix
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** The bytes of quoted-printable text: =XX escapes, soft line breaks ("=" at a line's end) removed. */
function quotedPrintableBytes(text, { underscoreIsSpace = false } = {}) {
  const out = [];
  const source = text.replace(/=[ \t]*\r?\n/g, ''); // soft line breaks
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(source.slice(i + 1, i + 3))) {
      out.push(parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '_' && underscoreIsSpace) {
      out.push(0x20);
    } else {
      out.push(...Buffer.from(ch, 'utf8')); // 8-bit text left unencoded by a lenient sender
    }
  }
  return Buffer.from(out);
}

/**
 * A header value with its RFC 2047 encoded-words (=?charset?B|Q?...?=) decoded. Whitespace
 * between two adjacent encoded-words is dropped, and adjacent words of one charset are decoded
 * together, since an encoder may split a multi-byte character between them.
 */
export function decodeEncodedWords(value) {
  const pattern = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  const pieces = []; // { text } or { charset, bytes }
  let last = 0;
  for (const m of value.matchAll(pattern)) {
    const between = value.slice(last, m.index);
    const previous = pieces[pieces.length - 1];
    if (between && !(previous?.bytes && /^\s*$/.test(between))) pieces.push({ text: between });
    const bytes = m[2].toUpperCase() === 'B'
      ? Buffer.from(m[3], 'base64')
      : quotedPrintableBytes(m[3], { underscoreIsSpace: true });
    const charset = m[1].split('*')[0].toLowerCase();
    const tail = pieces[pieces.length - 1];
    if (tail?.bytes && tail.charset === charset) tail.bytes = Buffer.concat([tail.bytes, bytes]);
    else pieces.push({ charset, bytes });
    last = m.index + m[0].length;
  }
  if (last < value.length) pieces.push({ text: value.slice(last) });
  return pieces.map((p) => (p.bytes ? decodeCharset(p.bytes, p.charset) : p.text)).join('');
}

/** Splits an entity into its header block and body at the first empty line. */
function splitEntity(text) {
  const noHeaders = /^\r?\n/.exec(text); // a part may have no header fields at all
  if (noHeaders) return { head: '', body: text.slice(noHeaders[0].length) };
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { head: text, body: '' };
  return { head: text.slice(0, m.index), body: text.slice(m.index + m[0].length) };
}

/** Header fields, unfolded, names lower-cased; the first occurrence of a name wins. */
function parseHeaders(head) {
  const headers = {};
  const unfolded = head.replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `type/subtype; a=b; c="d"` → { value: 'type/subtype', params: { a: 'b', c: 'd' } }. */
function parseStructured(value = '') {
  const [first, ...rest] = value.split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/); // semicolons outside quotes
  const params = {};
  for (const piece of rest) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    const key = piece.slice(0, eq).trim().toLowerCase();
    let val = piece.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    params[key] = val;
  }
  return { value: first.trim().toLowerCase(), params };
}

/** The body of a leaf part, decoded by its Content-Transfer-Encoding and charset. */
function decodeBody(body, encoding, charset) {
  switch ((encoding || '7bit').trim().toLowerCase()) {
    case 'base64':
      return decodeCharset(Buffer.from(body.replace(/\s+/g, ''), 'base64'), charset);
    case 'quoted-printable':
      return decodeCharset(quotedPrintableBytes(body), charset);
    default:
      // 7bit, 8bit, binary: the raw text was already read as UTF-8.
      return body;
  }
}

/** The leaf parts of an entity, depth first: [{ type, disposition, content }]. */
function leaves(headers, body) {
  const type = parseStructured(headers['content-type'] || 'text/plain; charset=us-ascii');
  if (type.value.startsWith('multipart/') && type.params.boundary) {
    const open = `--${type.params.boundary}`;
    const close = `${open}--`;
    const parts = [];
    let current = null; // lines of the part being read; null before the first delimiter
    for (const line of body.split(/\r?\n/)) {
      const bare = line.trimEnd();
      if (bare === close) {
        if (current) parts.push(current);
        current = null;
        break;
      }
      if (bare === open) {
        if (current) parts.push(current);
        current = [];
      } else if (current) {
        current.push(line);
      }
    }
    if (current) parts.push(current); // a missing closing delimiter: keep what came
    return parts.flatMap((lines) => {
      const { head, body: partBody } = splitEntity(lines.join('\r\n'));
      return leaves(parseHeaders(head), partBody);
    });
  }
  const disposition = parseStructured(headers['content-disposition'] || 'inline').value;
  const content = decodeBody(body, headers['content-transfer-encoding'], type.params.charset);
  return [{ type: type.value, disposition, content }];
}

/**
 * Decodes a message as received after DATA: { subject, text, html, headers, raw }. `text` and
 * `html` are the first inline text/plain and text/html parts ('' when there is none).
 */
export function parseMessage(raw) {
  const { head, body } = splitEntity(raw);
  const headers = parseHeaders(head);
  const parts = leaves(headers, body).filter((p) => p.disposition !== 'attachment');
  const first = (type) => parts.find((p) => p.type === type)?.content ?? '';
  return {
    subject: decodeEncodedWords(headers.subject ?? ''),
    text: first('text/plain'),
    html: first('text/html'),
    headers,
    raw,
  };
}
