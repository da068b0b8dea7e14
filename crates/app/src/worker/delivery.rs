//! Delivery of the outbox: every state change wrote its email in the transaction of the change;
//! a run takes a small batch of due messages under a lease (so two servers never hold one
//! message), sends each, and records the outcome. A failure leaves the message in the outbox,
//! due again after a back-off of 1, 2, 4 … minutes, at most 6 hours, for ever: nothing is dropped
//! while the SMTP server is down. Delivery is at least once: if a server dies after the SMTP
//! server accepted a message but before `sent_at` is written, the message is sent again once its
//! lease runs out (with the same Message-ID, see `mail.rs`).

use certdesk_store::prelude::*;
use chrono::{DateTime, Duration, Utc};

use super::WorkerConfig;
use crate::mail::Mailer;

/// The longest wait between two attempts at one email.
pub const MAX_MAIL_BACKOFF: Duration = Duration::hours(6);

/// How long a message waits after its `failed_attempts`-th failed delivery: 1, 2, 4 … minutes,
/// at most [`MAX_MAIL_BACKOFF`].
pub fn mail_backoff(failed_attempts: i64) -> Duration {
    let exponent = (failed_attempts - 1).clamp(0, 30);
    Duration::minutes(1_i64 << exponent).min(MAX_MAIL_BACKOFF)
}

/// What one delivery run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Accepted by the SMTP server (`sent_at` written).
    pub sent: usize,
    /// Failed, and due again after the back-off.
    pub failed: usize,
    /// Taken but not tried, because the run ran out of time; a later run takes them once their
    /// lease runs out.
    pub left: usize,
}

impl Delivery {
    pub fn taken(&self) -> usize {
        self.sent + self.failed + self.left
    }
}

/// Takes up to `mail_batch` due messages of the outbox and sends them through `mailer`. Several
/// runs (on one server or many) may go at once: the store leases each message to one of them.
pub async fn deliver_outbox(
    store: &dyn Store,
    mailer: &dyn Mailer,
    config: &WorkerConfig,
    now: DateTime<Utc>,
) -> StoreResult<Delivery> {
    let messages = store
        .claim_outbox(now, now + config.mail_lease, config.mail_batch)
        .await?;
    // Sending must end well within the lease, or another run could take the same message.
    let budget = config.mail_lease.to_std().unwrap_or_default() / 2;
    let started = std::time::Instant::now();
    let mut delivery = Delivery::default();
    for message in &messages {
        if started.elapsed() >= budget {
            delivery.left += 1;
            continue;
        }
        match mailer.send(message).await {
            Ok(()) => {
                store.mark_sent(message.id, now).await?;
                delivery.sent += 1;
            }
            Err(error) => {
                let attempts = message.attempts + 1;
                let retry_at = now + mail_backoff(attempts);
                tracing::warn!(
                    message = message.id,
                    attempts,
                    %retry_at,
                    %error,
                    "email not delivered; it stays in the outbox"
                );
                store
                    .mark_failed(message.id, retry_at, &error.to_string())
                    .await?;
                delivery.failed += 1;
            }
        }
    }
    if delivery.left > 0 {
        tracing::warn!(
            left = delivery.left,
            "the SMTP server is slow: emails left for a later run"
        );
    }
    if delivery.sent > 0 {
        tracing::info!(sent = delivery.sent, "emails delivered");
    }
    Ok(delivery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_backoff_doubles_from_a_minute_up_to_six_hours() {
        let minutes: Vec<i64> = (1..=12).map(|n| mail_backoff(n).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]);
        assert_eq!(mail_backoff(0), Duration::minutes(1));
        assert_eq!(mail_backoff(i64::MAX), MAX_MAIL_BACKOFF);
    }
}
