//! A ΔΨΠ's password change, second factor and recovery codes, and the sessions' last use.

use async_trait::async_trait;
use certdesk_domain::otp::StoredSecret;
use chrono::{DateTime, Utc};

use super::Durably;
use super::SqlStore;
use crate::{AccountSafety, StoreResult};

#[async_trait]
impl AccountSafety for SqlStore {
    async fn change_administrator_password(&self, id: i64, password_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE administrators SET password_hash = $1, must_change_password = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(false)
        .bind(id)
        .execute(&self.write)
        .durably_for_sessions(self)
        .await?;
        Ok(())
    }

    async fn set_second_factor_required(&self, id: i64, required: bool) -> StoreResult<()> {
        sqlx::query("UPDATE administrators SET second_factor_required = $1 WHERE id = $2")
            .bind(required)
            .bind(id)
            .execute(&self.write)
            .durably_for_sessions(self)
            .await?;
        Ok(())
    }

    async fn set_pending_totp_secret(
        &self,
        token_hash: &str,
        secret: Option<&StoredSecret>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET pending_totp_secret = $1 WHERE token_hash = $2")
            .bind(secret.map(|s| s.0.as_str()))
            .bind(token_hash)
            .execute(&self.write)
            .durably_for_sessions(self)
            .await?;
        Ok(())
    }

    async fn enrol_totp(
        &self,
        id: i64,
        secret: &StoredSecret,
        last_step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "UPDATE administrators SET totp_secret = $1, totp_last_step = $2 WHERE id = $3",
        )
        .bind(&secret.0)
        .bind(last_step)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM administrator_recovery_codes WHERE administrator_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for hash in recovery_hashes {
            sqlx::query(
                "INSERT INTO administrator_recovery_codes (administrator_id, code_hash) \
                 VALUES ($1, $2)",
            )
            .bind(id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE sessions SET pending_totp_secret = NULL WHERE administrator_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().durably_for_sessions(self).await?;
        Ok(())
    }

    async fn use_administrator_totp_step(&self, id: i64, step: i64) -> StoreResult<bool> {
        // Conditional, so that two logins racing with the same code cannot both claim it.
        let claimed = sqlx::query(
            "UPDATE administrators SET totp_last_step = $1 WHERE id = $2 \
             AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(id)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    async fn use_recovery_code(&self, id: i64, code_hash: &str) -> StoreResult<bool> {
        let used = sqlx::query(
            "DELETE FROM administrator_recovery_codes WHERE administrator_id = $1 \
             AND code_hash = $2",
        )
        .bind(id)
        .bind(code_hash)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected();
        Ok(used == 1)
    }

    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(&self.write)
            .durably(self)
            .await?;
        self.session_cache.forget(token_hash);
        Ok(())
    }

    async fn delete_sessions_of(
        &self,
        administrator_id: i64,
        except: Option<&str>,
    ) -> StoreResult<u64> {
        Ok(sqlx::query(
            "DELETE FROM sessions WHERE administrator_id = $1 \
             AND ($2 IS NULL OR token_hash <> $2)",
        )
        .bind(administrator_id)
        .bind(except)
        .execute(&self.write)
        .durably_for_sessions(self)
        .await?
        .rows_affected())
    }
}
