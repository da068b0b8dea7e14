//! The security log: appended to, read in order, never changed.

use async_trait::async_trait;
use certdesk_domain::SecurityEvent;
use chrono::{DateTime, Utc};

use super::Durably;
use super::{SqlStore, assembled};
use crate::rows::{SECURITY_EVENT_COLUMNS, SecurityEventRow, convert};
use crate::{SecurityEventRecord, SecurityLog, StoreResult};

#[async_trait]
impl SecurityLog for SqlStore {
    async fn record_security_event(
        &self,
        event: &SecurityEvent,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO security_events (at, kind, actor, subject, address, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(at)
        .bind(event.kind.code())
        .bind(event.actor.as_deref())
        .bind(event.subject.as_deref())
        .bind(event.address.map(|a| a.to_string()))
        .bind(event.detail.as_deref())
        .execute(&self.write)
        .durably(self)
        .await?;
        Ok(())
    }

    async fn security_events(
        &self,
        since: Option<DateTime<Utc>>,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<SecurityEventRecord>> {
        // Without `since`, from the beginning of time (the epoch is before any event).
        let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let rows: Vec<SecurityEventRow> = sqlx::query_as(assembled(format!(
            "SELECT {SECURITY_EVENT_COLUMNS} FROM security_events WHERE at >= $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        )))
        .bind(since)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        convert(rows)
    }

    async fn latest_security_events(&self, limit: i64) -> StoreResult<Vec<SecurityEventRecord>> {
        let rows: Vec<SecurityEventRow> = sqlx::query_as(assembled(format!(
            "SELECT {SECURITY_EVENT_COLUMNS} FROM security_events ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        convert(rows)
    }
}
