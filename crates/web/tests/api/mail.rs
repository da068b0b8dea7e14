//! Delivery of the notification emails (issue 4, point 5): the outbox that every state change
//! writes is sent over SMTP (lettre) to a real SMTP server started by the test (`smtp_sink.rs`),
//! retried with back-off while the server is down, and never sent twice by concurrent runs, on
//! whichever store the suite runs. Time is simulated: every run gets its `now`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use certdesk_app::mail::SmtpMailer;
use certdesk_app::worker::{Delivery, WorkerConfig, deliver_outbox};
use certdesk_domain::Status;
use certdesk_store::{OutboxMessage, Store};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::json;

use crate::helpers::*;
use crate::smtp_sink::{ReceivedMail, SmtpSink, free_port};

const FROM: &str = "certdesk <noreply@example.gr>";

/// Now, to the microsecond (the precision both stores keep).
fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::microseconds(1))
        .unwrap()
}

fn mailer(url: &str) -> SmtpMailer {
    SmtpMailer::with_timeout(url, FROM, std::time::Duration::from_secs(10)).unwrap()
}

async fn deliver(store: &dyn Store, mailer: &SmtpMailer, at: DateTime<Utc>) -> Delivery {
    deliver_outbox(store, mailer, &WorkerConfig::default(), at)
        .await
        .expect("a delivery run")
}

/// The Message-ID certdesk gives outbox row `message`.
fn message_id(message: &OutboxMessage) -> String {
    format!(
        "<certdesk.outbox.{}.{}@example.gr>",
        message.id,
        message.created_at.timestamp_micros()
    )
}

/// How many times the sink received each Message-ID.
fn count_by_message_id(received: &[ReceivedMail]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for mail in received {
        let id = mail.header("Message-ID").expect("a Message-ID");
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// As a mail client shows it: line ends are CRLF on the wire.
fn lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

#[tokio::test]
async fn a_cancellation_is_delivered_once_in_greek_as_text_and_html() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (employee, id) = app.application_in(Status::AwaitingApproval).await;
    let reason = "Μετακίνηση <b>σε</b> άλλο φορέα & «νέα» θέση";
    let response = app
        .cancel(&token, id, Some(json!({ "reason": reason })))
        .await;
    assert_eq!(response.status(), 200);

    let outbox = app.store.outbox(id).await.unwrap();
    assert!(outbox.len() >= 2, "the start and the cancellation at least");
    for message in &outbox {
        assert_eq!(message.sent_at, None);
        assert_eq!(message.attempts, 0);
        assert!(!message.body_html.is_empty(), "{message:?}");
    }
    let cancellation = outbox.last().unwrap().clone();
    assert_eq!(
        cancellation.subject,
        format!("Ψηφιακό πιστοποιητικό: {REJECTED_EL}")
    );

    let sink = SmtpSink::start().await;
    let mailer = mailer(&sink.url());
    let at = now();
    let delivery = deliver(app.store.as_ref(), &mailer, at).await;
    assert_eq!(
        delivery,
        Delivery {
            sent: outbox.len(),
            failed: 0,
            left: 0
        }
    );

    let received = sink.received();
    assert_eq!(received.len(), outbox.len(), "every message, once");
    let counts = count_by_message_id(&received);
    for message in &outbox {
        assert_eq!(counts.get(&message_id(message)), Some(&1), "{counts:?}");
    }
    for mail in &received {
        assert_eq!(mail.rcpt_to, vec![employee.email.clone()]);
        assert_eq!(mail.mail_from, "noreply@example.gr");
    }

    // The cancellation, as the beneficiary's mail client shows it.
    let mail = received
        .iter()
        .find(|m| m.header("Message-ID") == Some(message_id(&cancellation)))
        .unwrap();
    let subject_header = mail.header("Subject").unwrap();
    assert!(
        subject_header.is_ascii(),
        "the Greek subject is encoded on the wire: {subject_header}"
    );
    assert_eq!(mail.subject(), cancellation.subject);
    assert!(
        mail.header("From")
            .unwrap()
            .contains("<noreply@example.gr>")
    );
    assert!(mail.header("To").unwrap().contains(&employee.email));
    assert!(mail.header("Date").is_some());
    assert_eq!(mail.media_type(), "multipart/alternative");

    let text = mail.part("text/plain");
    assert_eq!(text.charset.as_deref(), Some("utf-8"));
    assert_eq!(lf(&text.content), cancellation.body_text);
    assert!(
        text.content
            .contains(&cancelled_description(&app.admin.full_name)),
        "{}",
        text.content
    );
    assert!(text.content.contains(reason), "as typed in the text part");
    assert!(text.content.contains(&employee.given_name));

    let html = mail.part("text/html");
    assert_eq!(html.charset.as_deref(), Some("utf-8"));
    assert_eq!(lf(&html.content), cancellation.body_html);
    assert!(html.content.contains(&format!("«{REJECTED_EL}»")));
    assert!(
        html.content
            .contains("Μετακίνηση &lt;b&gt;σε&lt;/b&gt; άλλο φορέα &amp; «νέα» θέση"),
        "the reason is escaped: {}",
        html.content
    );
    assert!(!html.content.contains("<b>σε</b>"));

    for message in app.store.outbox(id).await.unwrap() {
        assert_eq!(message.sent_at, Some(at), "{message:?}");
        assert_eq!(message.attempts, 0);
        assert_eq!(message.last_error, None);
    }

    // A second run finds nothing to send.
    assert_eq!(
        deliver(app.store.as_ref(), &mailer, at + Duration::minutes(5)).await,
        Delivery::default()
    );
    assert_eq!(sink.received().len(), outbox.len(), "nothing more was sent");
}

#[tokio::test]
async fn with_the_smtp_server_down_nothing_is_lost_and_it_is_delivered_once_later() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (employee, id) = app.application_in(Status::AwaitingSignature).await;
    let response = app.cancel(&token, id, None).await;
    assert_eq!(response.status(), 200);
    let outbox = app.store.outbox(id).await.unwrap();
    let n = outbox.len();

    // Nobody listens on the port yet.
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let mailer = mailer(&url);
    let t0 = now();

    let delivery = deliver(app.store.as_ref(), &mailer, t0).await;
    assert_eq!(
        delivery,
        Delivery {
            sent: 0,
            failed: n,
            left: 0
        }
    );
    let after_first = app.store.outbox(id).await.unwrap();
    assert_eq!(after_first.len(), n, "nothing lost");
    for (message, before) in after_first.iter().zip(&outbox) {
        assert_eq!(message.id, before.id);
        assert_eq!(message.subject, before.subject);
        assert_eq!(message.body_text, before.body_text);
        assert_eq!(message.body_html, before.body_html);
        assert_eq!(message.sent_at, None);
        assert_eq!(message.attempts, 1);
        assert_eq!(message.next_attempt_at, t0 + Duration::minutes(1));
        assert!(message.next_attempt_at > t0);
        let error = message.last_error.as_deref().expect("the reason is kept");
        assert!(error.contains(&url), "names the relay: {error}");
    }

    // Not due again before its back-off runs out.
    for at in [t0, t0 + Duration::seconds(59)] {
        assert_eq!(
            deliver(app.store.as_ref(), &mailer, at).await,
            Delivery::default()
        );
    }
    // Still down a minute later: the next wait is twice as long.
    let t1 = t0 + Duration::minutes(1);
    assert_eq!(deliver(app.store.as_ref(), &mailer, t1).await.failed, n);
    for message in app.store.outbox(id).await.unwrap() {
        assert_eq!(message.attempts, 2);
        assert_eq!(message.next_attempt_at, t1 + Duration::minutes(2));
        assert_eq!(message.sent_at, None);
    }

    // The server comes up; the messages go when they are due, once.
    let sink = SmtpSink::start_on(port, std::time::Duration::ZERO).await;
    assert_eq!(
        deliver(app.store.as_ref(), &mailer, t1 + Duration::minutes(1)).await,
        Delivery::default(),
        "not due yet"
    );
    assert!(sink.received().is_empty());
    let t2 = t1 + Duration::minutes(2);
    assert_eq!(
        deliver(app.store.as_ref(), &mailer, t2).await,
        Delivery {
            sent: n,
            failed: 0,
            left: 0
        }
    );
    for later in [t2, t2 + Duration::hours(1), t2 + Duration::days(7)] {
        assert_eq!(
            deliver(app.store.as_ref(), &mailer, later).await,
            Delivery::default()
        );
    }

    let received = sink.received();
    assert_eq!(received.len(), n, "each message exactly once");
    let counts = count_by_message_id(&received);
    for message in &outbox {
        assert_eq!(counts.get(&message_id(message)), Some(&1), "{counts:?}");
    }
    let subjects: BTreeSet<String> = received.iter().map(|m| m.subject()).collect();
    let expected: BTreeSet<String> = outbox.iter().map(|m| m.subject.clone()).collect();
    assert_eq!(subjects, expected);
    assert!(
        received
            .iter()
            .all(|m| m.rcpt_to == vec![employee.email.clone()])
    );
    for message in app.store.outbox(id).await.unwrap() {
        assert_eq!(message.sent_at, Some(t2));
        assert_eq!(message.attempts, 2, "the failed attempts");
    }
}

#[tokio::test]
async fn concurrent_delivery_runs_never_send_a_message_twice() {
    let app = spawn_app().await;
    let mut outbox = Vec::new();
    let mut applications = Vec::new();
    for target in [
        Status::AwaitingDataCheck,
        Status::AwaitingApproval,
        Status::AwaitingIdentification,
        Status::AwaitingSignature,
        Status::AwaitingIssuance,
        Status::AwaitingApproval,
        Status::AwaitingIdentification,
        Status::Rejected,
    ] {
        let (_, id) = app.application_in(target).await;
        applications.push(id);
        outbox.extend(app.store.outbox(id).await.unwrap());
    }
    assert!(outbox.len() >= 20, "enough to share: {}", outbox.len());

    // A sink that takes a moment per message, so that the runs overlap; small batches, so that
    // each run comes back for more while the others still hold theirs.
    let sink = SmtpSink::start_on(0, std::time::Duration::from_millis(15)).await;
    let mailer = Arc::new(mailer(&sink.url()));
    let config = WorkerConfig {
        mail_batch: 3,
        ..WorkerConfig::default()
    };
    let at = now();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let store = app.store.clone();
            let mailer = mailer.clone();
            let config = config.clone();
            tokio::spawn(async move {
                let mut total = Delivery::default();
                loop {
                    let delivery = deliver_outbox(store.as_ref(), mailer.as_ref(), &config, at)
                        .await
                        .expect("a delivery run");
                    if delivery.taken() == 0 {
                        return total;
                    }
                    total.sent += delivery.sent;
                    total.failed += delivery.failed;
                    total.left += delivery.left;
                }
            })
        })
        .collect();
    let mut sent = 0;
    let mut runs_that_sent = 0;
    for run in runs {
        let total = run.await.unwrap();
        assert_eq!((total.failed, total.left), (0, 0));
        sent += total.sent;
        runs_that_sent += usize::from(total.sent > 0);
    }
    assert_eq!(sent, outbox.len(), "every message sent by exactly one run");
    assert!(runs_that_sent >= 2, "the runs shared the work");

    let received = sink.received();
    assert_eq!(received.len(), outbox.len(), "no message twice");
    let counts = count_by_message_id(&received);
    assert_eq!(counts.len(), outbox.len());
    for message in &outbox {
        assert_eq!(counts.get(&message_id(message)), Some(&1), "{counts:?}");
    }
    let ids: BTreeSet<i64> = outbox.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), outbox.len());
    for id in applications {
        for message in app.store.outbox(id).await.unwrap() {
            assert_eq!(message.sent_at, Some(at), "{message:?}");
        }
    }
    assert_eq!(
        deliver_outbox(app.store.as_ref(), mailer.as_ref(), &config, at)
            .await
            .unwrap(),
        Delivery::default()
    );
}
