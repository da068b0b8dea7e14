//! The auditor (issue 10): reads the security log and exports it as JSON lines, one object per
//! event (`at`, `kind`, `actor`, `subject`, `address`, `detail`). The histories an auditor reads
//! through an [`Administrator`](crate::admin::Administrator) of every organisation.

use std::io::Write;

use certdesk_store::prelude::*;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::account::Account;
use crate::error::AppResult;

/// How many events the console's page shows, and how many an export reads at a time.
pub const PAGE: i64 = 500;

/// An authenticated auditor.
pub struct Auditor {
    pub(crate) account: Account,
}

impl Auditor {
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The latest events, newest first.
    pub async fn latest(&self) -> AppResult<Vec<SecurityEventRecord>> {
        Ok(self
            .account
            .app
            .store()
            .latest_security_events(PAGE)
            .await?)
    }

    /// The log from `since` on, as JSON lines.
    pub async fn export(&self, since: Option<DateTime<Utc>>) -> AppResult<Vec<u8>> {
        let mut out = Vec::new();
        export(self.account.app.store().as_ref(), since, &mut out).await?;
        Ok(out)
    }
}

/// Writes the security log from `since` on to `out` as JSON lines, oldest first (the CLI's
/// `certdesk audit export` and the auditor's download). Answers how many events.
pub async fn export(
    store: &dyn Store,
    since: Option<DateTime<Utc>>,
    out: &mut (dyn Write + Send),
) -> AppResult<u64> {
    let (mut after, mut count) = (0, 0);
    loop {
        let events = store.security_events(since, after, PAGE).await?;
        let Some(last) = events.last() else {
            return Ok(count);
        };
        after = last.id;
        for event in &events {
            writeln!(out, "{}", json_line(event))
                .map_err(|e| crate::AppError::Configuration(format!("writing the export: {e}")))?;
            count += 1;
        }
    }
}

/// One event as one line of JSON.
pub fn json_line(event: &SecurityEventRecord) -> String {
    serde_json::json!({
        "at": event.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "kind": event.kind.code(),
        "actor": event.actor,
        "subject": event.subject,
        "address": event.address,
        "detail": event.detail,
    })
    .to_string()
}
