//! Sessions of the console, the API and the portal (stored hashed), the portal's login states,
//! and the counters of attempts that throttling takes.

use std::time::Instant;

use async_trait::async_trait;
use certdesk_domain::throttle::ThrottleKey;
use chrono::{DateTime, Utc};

use super::Durably;
use super::SqlStore;
use crate::rows::{PortalSessionRow, SessionRow, convert_one};
use crate::{
    NewPortalSession, NewSession, PortalSessionRecord, SessionRecord, Sessions, StoreResult,
};

#[async_trait]
impl Sessions for SqlStore {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, administrator_id, kind, csrf_token, created_at, \
             expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $5)",
        )
        .bind(&session.token_hash)
        .bind(session.administrator_id)
        .bind(session.kind.code())
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&self.write)
        .durably(self)
        .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRecord>> {
        let instant = Instant::now();
        if let Some(cached) = self.session_cache.get(token_hash, now, instant) {
            return Ok(Some(cached));
        }
        let generation = self.session_cache.generation();
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT s.administrator_id, s.kind, s.csrf_token, s.expires_at, s.last_seen_at, \
             s.pending_totp_secret, a.username, a.full_name, a.role, a.must_change_password, \
             a.second_factor_required, a.totp_secret IS NOT NULL AS second_factor_enrolled, \
             (SELECT string_agg(CAST(o.organisation_id AS TEXT), ',' ORDER BY o.organisation_id) \
              FROM administrator_organisations o WHERE o.administrator_id = s.administrator_id) \
             AS organisation_ids \
             FROM sessions s JOIN administrators a ON a.id = s.administrator_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled = FALSE",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        // One statement with the organisations: every authenticated request reads it (or the
        // cache, when the same session was read a moment ago).
        let record = row.map(SessionRow::into_record).transpose()?;
        if let Some(record) = &record {
            self.session_cache
                .put(token_hash, record, generation, instant);
        }
        Ok(record)
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .durably_for_sessions(self)
            .await?;
        Ok(())
    }

    async fn create_portal_login_state(
        &self,
        state_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO portal_login_states (state_hash, expires_at) VALUES ($1, $2)")
            .bind(state_hash)
            .bind(expires_at)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn take_portal_login_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let taken = sqlx::query(
            "DELETE FROM portal_login_states WHERE state_hash = $1 AND expires_at > $2",
        )
        .bind(state_hash)
        .bind(now)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected();
        // Expired states are of no use to anyone: tidy them while here.
        sqlx::query("DELETE FROM portal_login_states WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(taken == 1)
    }

    async fn create_portal_session(&self, s: &NewPortalSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_sessions (token_hash, afm, identity, csrf_token, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.token_hash)
        .bind(s.afm.as_str())
        .bind(&s.identity)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&self.write)
        .durably(self)
        .await?;
        Ok(())
    }

    async fn portal_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<PortalSessionRecord>> {
        let row: Option<PortalSessionRow> = sqlx::query_as(
            "SELECT afm, identity, csrf_token, enrolment, expires_at FROM portal_sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        convert_one(row)
    }

    async fn set_portal_enrolment(
        &self,
        token_hash: &str,
        enrolment: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE portal_sessions SET enrolment = $1 WHERE token_hash = $2")
            .bind(enrolment)
            .bind(token_hash)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn delete_portal_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM portal_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut purged = 0;
        for sql in [
            "DELETE FROM portal_sessions WHERE expires_at <= $1",
            "DELETE FROM portal_login_states WHERE expires_at <= $1",
            "DELETE FROM sessions WHERE expires_at <= $1",
            "DELETE FROM csc_tokens WHERE expires_at <= $1",
            "DELETE FROM csc_sad_hashes WHERE sad_hash IN \
             (SELECT sad_hash FROM csc_sads WHERE expires_at <= $1)",
            "DELETE FROM csc_sads WHERE expires_at <= $1",
        ] {
            purged += sqlx::query(sql)
                .bind(now)
                .execute(&self.write)
                .durably(self)
                .await?
                .rows_affected();
        }
        self.session_cache.invalidate();
        Ok(purged)
    }

    async fn take_attempt(&self, key: &ThrottleKey, now: DateTime<Utc>) -> StoreResult<u64> {
        // One upsert: on PostgreSQL the conflicting row is locked and re-read, on SQLite writes
        // are serial, so two concurrent takes never answer the same count.
        let taken: i64 = sqlx::query_scalar(
            "INSERT INTO throttle_counters (key, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             attempts = CASE WHEN throttle_counters.window_start <= $3 THEN 1 \
             ELSE throttle_counters.attempts + 1 END, \
             window_start = CASE WHEN throttle_counters.window_start <= $3 THEN $2 \
             ELSE throttle_counters.window_start END \
             RETURNING attempts",
        )
        .bind(key.storage_key())
        .bind(now)
        .bind(key.policy().window_start(now))
        .fetch_one(&self.write)
        .durably(self)
        .await?;
        Ok(taken.max(0) as u64)
    }

    async fn give_back_attempt(&self, key: &ThrottleKey) -> StoreResult<()> {
        sqlx::query(
            "UPDATE throttle_counters SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
        )
        .bind(key.storage_key())
        .execute(&self.write)
        .durably(self)
        .await?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &ThrottleKey) -> StoreResult<()> {
        sqlx::query("DELETE FROM throttle_counters WHERE key = $1")
            .bind(key.storage_key())
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn purge_attempts(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM throttle_counters WHERE window_start < $1")
                .bind(before)
                .execute(&self.write)
                .durably(self)
                .await?
                .rows_affected(),
        )
    }
}
