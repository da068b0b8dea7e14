//! A real SMTP server for the tests, on 127.0.0.1: it speaks enough of RFC 5321 for a client such
//! as lettre (greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA … `.`, RSET, NOOP, QUIT), accepts
//! every message and keeps it. With the small MIME reader below, tests read what a mail client
//! would show: the decoded subject (RFC 2047) and the decoded text and HTML parts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope's sender (MAIL FROM), without the angle brackets.
    pub mail_from: String,
    /// The envelope's recipients (RCPT TO).
    pub rcpt_to: Vec<String>,
    /// The message after DATA, dot-stuffing undone, lines ending in CRLF.
    pub data: Vec<u8>,
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    task: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    /// A sink on a free port.
    pub async fn start() -> SmtpSink {
        SmtpSink::start_on(0, Duration::ZERO).await
    }

    /// A sink on `port` (0: any free port) that waits `delay` before accepting each message, so
    /// that concurrent senders overlap.
    pub async fn start_on(port: u16, delay: Duration) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("the SMTP sink binds 127.0.0.1:{port}: {e}"));
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let store = store.clone();
                tokio::spawn(async move {
                    // A client that hangs up mid-session is no concern of the sink.
                    let _ = session(stream, store, delay).await;
                });
            }
        });
        SmtpSink {
            port,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far, in order.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }
}

/// A port nobody listens on (it was free a moment ago; the kernel does not hand it out again at
/// once).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn session(
    stream: TcpStream,
    store: Arc<Mutex<Vec<ReceivedMail>>>,
    delay: Duration,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 sink.test ESMTP test sink\r\n")
        .await?;
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail_from = Some(address_in(&command["MAIL FROM:".len()..]));
            rcpt_to.clear();
            b"250 2.1.0 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            if mail_from.is_none() {
                b"503 5.5.1 MAIL first\r\n"
            } else {
                rcpt_to.push(address_in(&command["RCPT TO:".len()..]));
                b"250 2.1.5 OK\r\n"
            }
        } else if upper == "DATA" {
            if mail_from.is_none() || rcpt_to.is_empty() {
                b"503 5.5.1 MAIL and RCPT first\r\n"
            } else {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    // Dot-stuffing: a line starting with '.' came with one more.
                    let content = if line.starts_with(b"..") {
                        &line[1..]
                    } else {
                        &line[..]
                    };
                    data.extend_from_slice(content);
                }
                tokio::time::sleep(delay).await;
                store.lock().unwrap().push(ReceivedMail {
                    mail_from: mail_from.take().unwrap(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                });
                b"250 2.0.0 queued\r\n"
            }
        } else if upper == "RSET" {
            mail_from = None;
            rcpt_to.clear();
            b"250 2.0.0 OK\r\n"
        } else if upper == "NOOP" {
            b"250 2.0.0 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// `<a@b> SIZE=…` → `a@b`.
fn address_in(argument: &str) -> String {
    let argument = argument.trim();
    match (argument.find('<'), argument.find('>')) {
        (Some(start), Some(end)) if start < end => argument[start + 1..end].to_owned(),
        _ => argument.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

// ---- reading the message as a mail client would --------------------------------------------

/// A decoded body part.
#[derive(Debug, Clone)]
pub struct MimePart {
    /// The media type, lower case (`text/plain`).
    pub media_type: String,
    /// The `charset` parameter, lower case.
    pub charset: Option<String>,
    pub content: String,
}

impl ReceivedMail {
    fn split(&self) -> (Vec<(String, String)>, &[u8]) {
        split_entity(&self.data)
    }

    /// The (unfolded, still encoded) value of the first header `name`.
    pub fn header(&self, name: &str) -> Option<String> {
        header_of(&self.split().0, name)
    }

    /// The subject as a mail client shows it.
    pub fn subject(&self) -> String {
        decode_encoded_words(&self.header("Subject").expect("a Subject header"))
    }

    /// The message's media type, lower case.
    pub fn media_type(&self) -> String {
        let (headers, _) = self.split();
        content_type(&headers).0
    }

    /// The leaf parts, decoded (the message itself when it is not multipart).
    pub fn parts(&self) -> Vec<MimePart> {
        let (headers, body) = self.split();
        let mut parts = Vec::new();
        collect_parts(&headers, body, &mut parts);
        parts
    }

    /// The one part of `media_type`.
    pub fn part(&self, media_type: &str) -> MimePart {
        let parts = self.parts();
        let matching: Vec<_> = parts
            .iter()
            .filter(|p| p.media_type == media_type)
            .collect();
        assert_eq!(matching.len(), 1, "one {media_type} part in {parts:?}");
        matching[0].clone()
    }
}

/// Headers (unfolded) and body of a message or body part.
fn split_entity(data: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let (head, body) = match find(data, b"\r\n\r\n") {
        Some(at) => (&data[..at], &data[at + 4..]),
        None => match find(data, b"\n\n") {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &data[data.len()..]),
        },
    };
    let head = String::from_utf8_lossy(head);
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn header_of(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// (media type, parameters), both lower-cased names; `text/plain` when absent (RFC 2045).
fn content_type(headers: &[(String, String)]) -> (String, Vec<(String, String)>) {
    let value = header_of(headers, "Content-Type").unwrap_or_else(|| "text/plain".to_owned());
    let mut pieces = value.split(';');
    let media_type = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let parameters = pieces
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_owned(),
            )
        })
        .collect();
    (media_type, parameters)
}

fn collect_parts(headers: &[(String, String)], body: &[u8], out: &mut Vec<MimePart>) {
    let (media_type, parameters) = content_type(headers);
    let parameter = |name: &str| {
        parameters
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if media_type.starts_with("multipart/") {
        let boundary = parameter("boundary").expect("a multipart boundary");
        let delimiter = format!("--{boundary}");
        let text = String::from_utf8_lossy(body).into_owned();
        let mut current: Option<String> = None;
        for line in text.split_inclusive('\n') {
            let bare = line.trim_end_matches(['\r', '\n']);
            if bare == delimiter || bare == format!("{delimiter}--") {
                if let Some(part) = current.take() {
                    let bytes = part.into_bytes();
                    let (h, b) = split_entity(&bytes);
                    collect_parts(&h, strip_last_line_break(b), out);
                }
                if bare == delimiter {
                    current = Some(String::new());
                } else {
                    break;
                }
            } else if let Some(part) = current.as_mut() {
                part.push_str(line);
            }
        }
        return;
    }
    let encoding = header_of(headers, "Content-Transfer-Encoding")
        .unwrap_or_else(|| "7bit".to_owned())
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => decode_base64(&String::from_utf8_lossy(body)),
        "quoted-printable" => decode_quoted_printable(body),
        _ => body.to_vec(),
    };
    out.push(MimePart {
        media_type,
        charset: parameter("charset").map(|c| c.to_ascii_lowercase()),
        content: String::from_utf8(bytes).expect("the part decodes to UTF-8"),
    });
}

/// The CRLF before a boundary line belongs to the boundary (RFC 2046).
fn strip_last_line_break(body: &[u8]) -> &[u8] {
    body.strip_suffix(b"\r\n")
        .or_else(|| body.strip_suffix(b"\n"))
        .unwrap_or(body)
}

/// Standard base64 (RFC 4648), whitespace ignored.
pub fn decode_base64(text: &str) -> Vec<u8> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        let Some(v) = value(c) else {
            assert!(c.is_ascii_whitespace(), "not base64: {c:?} in {text:?}");
            continue;
        };
        buffer = (buffer << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not a hex digit: {c:?}"),
    }
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` bytes and `=` soft line breaks.
pub fn decode_quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'=' {
            if body[i + 1..].starts_with(b"\r\n") {
                i += 3;
            } else if body[i + 1..].starts_with(b"\n") {
                i += 2;
            } else {
                out.push(hex_value(body[i + 1]) * 16 + hex_value(body[i + 2]));
                i += 3;
            }
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

/// RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`) in a header value, decoded; the
/// white space between two adjacent encoded words is dropped.
pub fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut pending_space = String::new();
    let mut after_word = false;
    while !rest.is_empty() {
        if let Some((decoded, len)) = encoded_word(rest) {
            if !after_word {
                out.push_str(&pending_space);
            }
            pending_space.clear();
            out.push_str(&decoded);
            rest = &rest[len..];
            after_word = true;
            continue;
        }
        let c = rest.chars().next().unwrap();
        if c.is_whitespace() {
            pending_space.push(c);
        } else {
            out.push_str(&pending_space);
            pending_space.clear();
            out.push(c);
            after_word = false;
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push_str(&pending_space);
    out
}

/// The encoded word at the start of `text`: its decoded text and its length.
fn encoded_word(text: &str) -> Option<(String, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = &inner[..end];
    if payload.contains(char::is_whitespace) {
        return None;
    }
    assert!(
        charset.eq_ignore_ascii_case("utf-8"),
        "an encoded word in {charset}"
    );
    let bytes = match encoding {
        "B" | "b" => decode_base64(payload),
        "Q" | "q" => decode_quoted_printable(payload.replace('_', " ").as_bytes()),
        other => panic!("unknown encoding {other:?} in an encoded word"),
    };
    let len = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    Some((String::from_utf8(bytes).expect("UTF-8"), len))
}

#[test]
fn the_decoders_read_what_rfc_2045_and_2047_write() {
    assert_eq!(decode_base64("zrHOss6z"), "αβγ".as_bytes());
    assert_eq!(decode_base64("zrHO\r\nss6z"), "αβγ".as_bytes());
    assert_eq!(decode_base64("YQ=="), b"a");
    assert_eq!(
        decode_quoted_printable(b"=CE=B1=CE=\r\n=B2 x"),
        "αβ x".as_bytes()
    );
    assert_eq!(
        decode_encoded_words(
            "=?utf-8?b?zrHOsg==?=\r\n =?utf-8?b?zrM=?= και =?UTF-8?Q?=CE=B4_=CE=B5?="
        ),
        "αβγ και δ ε"
    );
    assert_eq!(decode_encoded_words("plain subject"), "plain subject");
}
