//! Sending the outbox's emails: the [`Mailer`] the worker hands each due message to
//! (`worker::delivery`), and its SMTP implementation on lettre.
//!
//! **Why here.** The delivery loop is part of the background worker (`worker/delivery.rs`),
//! which needs the trait; the trait is small and the SMTP code is one type, so both live next to
//! the worker.
//!
//! **What SMTP is spoken.** Plain SMTP to a relay, `smtp://HOST[:PORT]` (port 25 by default),
//! without TLS and without authentication: the relay is expected to be local or on a trusted
//! network (a Postfix on the host, a cluster-internal relay), and it takes care of TLS and
//! authentication towards the outside world. `smtps://`, STARTTLS and credentials are refused
//! with a clear message rather than half-supported: sending a password over plain SMTP would
//! leak it, and TLS needs a TLS backend this build does not carry yet.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use certdesk_store::OutboxMessage;

/// Why one message could not be delivered. The text is stored in the outbox (`last_error`) and
/// logged, so it never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

/// Sends one email of the outbox. `Ok` means the receiving server accepted it.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, message: &OutboxMessage) -> Result<(), MailError>;
}

/// A configuration that cannot work (bad URL, bad From address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MailConfigError(String);

/// How long one SMTP exchange may take (connect, each command) before the attempt fails.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest error text kept in the outbox.
const MAX_ERROR_CHARS: usize = 500;

/// Delivers over plain SMTP to a relay (see the module's documentation).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `smtp://host:port`, for messages and logs (it carries no credentials).
    relay: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("relay", &self.relay)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl SmtpMailer {
    /// A mailer for the relay at `url` (`smtp://HOST[:PORT]`) that sends from `from`
    /// (`"certdesk <noreply@example.gr>"` or a bare address). Nothing is connected yet: a relay
    /// that is down now only delays delivery.
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer, MailConfigError> {
        SmtpMailer::with_timeout(url, from, DEFAULT_SMTP_TIMEOUT)
    }

    pub fn with_timeout(
        url: &str,
        from: &str,
        timeout: Duration,
    ) -> Result<SmtpMailer, MailConfigError> {
        let (host, port) = parse_smtp_url(url)?;
        let from: Mailbox = from.trim().parse().map_err(|e| {
            MailConfigError(format!(
                "the sender address {from:?} is not valid ({e}); expected \
                 \"Name <address@domain>\" or \"address@domain\""
            ))
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
            .port(port)
            .timeout(Some(timeout))
            .build();
        let relay = if host.contains(':') {
            format!("smtp://[{host}]:{port}")
        } else {
            format!("smtp://{host}:{port}")
        };
        Ok(SmtpMailer {
            transport,
            from,
            relay,
        })
    }

    /// `smtp://host:port`.
    pub fn relay(&self) -> &str {
        &self.relay
    }

    /// The email as it goes on the wire: text and HTML as `multipart/alternative` (text only for
    /// a message without HTML), the Greek subject encoded by lettre (RFC 2047), and a
    /// Message-ID made from the outbox row, so that a message sent twice (the worker died
    /// between the send and its record) carries the same id and can be recognised downstream.
    pub fn build(&self, message: &OutboxMessage) -> Result<Message, MailError> {
        let to: Mailbox = message.recipient.trim().parse().map_err(|e| {
            MailError(format!(
                "the recipient address {:?} is not valid: {e}",
                message.recipient
            ))
        })?;
        let message_id = format!(
            "<certdesk.outbox.{}.{}@{}>",
            message.id,
            message.created_at.timestamp_micros(),
            self.from.email.domain()
        );
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(message_id));
        let built = if message.body_html.is_empty() {
            builder.singlepart(SinglePart::plain(message.body_text.clone()))
        } else {
            builder.multipart(MultiPart::alternative_plain_html(
                message.body_text.clone(),
                message.body_html.clone(),
            ))
        };
        built.map_err(|e| MailError(format!("the email cannot be built: {e}")))
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &OutboxMessage) -> Result<(), MailError> {
        let email = self.build(message)?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| MailError(shorten(&format!("{}: {e}", self.relay))))
    }
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// `smtp://HOST[:PORT][/]` → (host, port). IPv6 hosts in brackets.
fn parse_smtp_url(url: &str) -> Result<(String, u16), MailConfigError> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(MailConfigError(
            "the SMTP server must be given as smtp://HOST:PORT".to_owned(),
        ));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "smtp" => {}
        "smtps" => {
            return Err(MailConfigError(
                "smtps:// (SMTP over TLS) is not supported: give a relay reachable over plain \
                 smtp://HOST:PORT (for example a local Postfix that relays over TLS)"
                    .to_owned(),
            ));
        }
        // The rest may hold credentials: never repeat it.
        _ => {
            return Err(MailConfigError(format!(
                "unknown scheme {scheme:?} in the SMTP URL: expected smtp://HOST:PORT"
            )));
        }
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('@') {
        return Err(MailConfigError(
            "credentials in the SMTP URL are not supported: plain SMTP would send them \
             unencrypted; give a relay that accepts mail from this host without them"
                .to_owned(),
        ));
    }
    if authority.contains(['/', '?', '#']) {
        return Err(MailConfigError(format!(
            "the SMTP URL {url:?} has a path or options: expected smtp://HOST:PORT"
        )));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| MailConfigError(format!("the SMTP URL {url:?} has an unclosed '['")))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(|| {
                MailConfigError(format!("the SMTP URL {url:?} is not smtp://HOST:PORT"))
            })?),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(MailConfigError(format!(
            "the SMTP URL {url:?} names no host: expected smtp://HOST:PORT"
        )));
    }
    let port = match port {
        None => 25,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| MailConfigError(format!("the SMTP URL {url:?} has a bad port")))?,
    };
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn smtp_urls() {
        assert_eq!(
            parse_smtp_url("smtp://127.0.0.1:2525").unwrap(),
            ("127.0.0.1".into(), 2525)
        );
        assert_eq!(
            parse_smtp_url("SMTP://relay.example.gr/").unwrap(),
            ("relay.example.gr".into(), 25)
        );
        assert_eq!(
            parse_smtp_url("smtp://[::1]:1025").unwrap(),
            ("::1".into(), 1025)
        );
        for bad in [
            "127.0.0.1:25",
            "smtp://",
            "smtp://:25",
            "smtp://host:0",
            "smtp://host:70000",
            "smtp://host:x",
            "smtp://host/path",
            "http://host",
            "smtps://host:465",
        ] {
            assert!(parse_smtp_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_refused_and_never_repeated() {
        for url in ["smtp://user:s3cret@host:25", "smtps://user:s3cret@host:465"] {
            let error = parse_smtp_url(url).unwrap_err().to_string();
            assert!(!error.contains("s3cret"), "{error}");
        }
        let error = parse_smtp_url("ftp://user:s3cret@host").unwrap_err();
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }

    #[test]
    fn a_bad_sender_is_refused() {
        assert!(SmtpMailer::new("smtp://127.0.0.1:25", "not an address").is_err());
        let mailer =
            SmtpMailer::new("smtp://127.0.0.1:2525", "certdesk <noreply@example.gr>").unwrap();
        assert_eq!(mailer.relay(), "smtp://127.0.0.1:2525");
    }

    fn message(html: &str) -> OutboxMessage {
        let at = Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap();
        OutboxMessage {
            id: 42,
            recipient: "eleni@example.gr".into(),
            subject: "Ψηφιακό πιστοποιητικό: Το πιστοποιητικό εκδόθηκε".into(),
            body_text: "Αγαπητή Ελένη".into(),
            body_html: html.into(),
            created_at: at,
            sent_at: None,
            attempts: 0,
            next_attempt_at: at,
            last_error: None,
        }
    }

    #[test]
    fn the_email_is_multipart_with_a_stable_message_id() {
        let mailer =
            SmtpMailer::new("smtp://127.0.0.1:2525", "certdesk <noreply@example.gr>").unwrap();
        let raw = String::from_utf8(
            mailer
                .build(&message("<p>Αγαπητή Ελένη</p>"))
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(
            raw.contains("Message-ID: <certdesk.outbox.42.1740823200000000@example.gr>"),
            "{raw}"
        );
        assert!(raw.contains("To: eleni@example.gr"), "{raw}");
        // The subject is encoded: no raw Greek in the headers.
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(headers.is_ascii(), "{headers}");

        let text_only = String::from_utf8(mailer.build(&message("")).unwrap().formatted()).unwrap();
        assert!(!text_only.contains("multipart"), "{text_only}");
        assert!(text_only.contains("text/plain"), "{text_only}");
    }

    #[test]
    fn a_bad_recipient_is_an_error_of_that_message() {
        let mailer = SmtpMailer::new("smtp://127.0.0.1:2525", "noreply@example.gr").unwrap();
        let mut bad = message("");
        bad.recipient = "not an address".into();
        assert!(mailer.build(&bad).is_err());
    }
}
