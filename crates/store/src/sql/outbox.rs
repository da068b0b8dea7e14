//! The outbox of emails, and its delivery under leases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Durably;
use super::{SKIP_LOCKED, SqlStore, assembled};
use crate::rows::{OUTBOX_COLUMNS, OutboxRow, convert};
use crate::{Outbox, OutboxMessage, StoreResult};

#[async_trait]
impl Outbox for SqlStore {
    async fn outbox(&self, application_id: i64) -> StoreResult<Vec<OutboxMessage>> {
        let rows: Vec<OutboxRow> = sqlx::query_as(assembled(format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE application_id = $1 ORDER BY id"
        )))
        .bind(application_id)
        .fetch_all(&self.read)
        .await?;
        convert(rows)
    }

    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        // A message leased meanwhile by another server no longer matches once its row is
        // locked (PostgreSQL), or cannot be, behind SQLite's one writer.
        let rows: Vec<OutboxRow> = sqlx::query_as(assembled(format!(
            "UPDATE outbox SET locked_until = $1 WHERE id IN (SELECT id FROM outbox \
             WHERE sent_at IS NULL AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until < $2) \
             ORDER BY next_attempt_at, id LIMIT $3{SKIP_LOCKED}) RETURNING {OUTBOX_COLUMNS}"
        )))
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.write)
        .durably(self)
        .await?;
        let mut messages: Vec<OutboxMessage> = convert(rows)?;
        // RETURNING gives no order.
        messages.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(messages)
    }

    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $1, locked_until = NULL WHERE id = $2 AND sent_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&self.write)
        .durably(self)
        .await?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, locked_until = NULL, \
             next_attempt_at = $1, last_error = $2 WHERE id = $3 AND sent_at IS NULL",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(&self.write)
        .durably(self)
        .await?;
        Ok(())
    }

    async fn settle_outbox_of_organisation(
        &self,
        organisation_id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        Ok(sqlx::query(
            "UPDATE outbox SET sent_at = $1 WHERE sent_at IS NULL AND application_id IN \
             (SELECT id FROM applications WHERE organisation_id = $2)",
        )
        .bind(at)
        .bind(organisation_id)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected())
    }
}
