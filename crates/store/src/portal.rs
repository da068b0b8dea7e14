//! The storage of the beneficiary's portal: login states, portal sessions, signing credentials and
//! email codes.
//!
//! These statements are the same on both backends, so they are written once, with `$n`
//! placeholders (which SQLite reads too), and instantiated for each backend by
//! [`portal_queries!`]; `sqlite.rs` and `postgres.rs` only delegate to [`sqlite`] and
//! [`postgres`].

use certdesk_domain::otp::{OtpChannel, SigningCredentials, StoredSecret};

use crate::{StoreError, StoreResult};

/// How credentials are read back from their row.
fn credentials_from(
    password_hash: String,
    otp_channel: &str,
    totp_secret: Option<String>,
    totp_last_step: Option<i64>,
) -> StoreResult<SigningCredentials> {
    let otp = match (otp_channel, totp_secret) {
        ("email", _) => OtpChannel::Email,
        ("totp", Some(secret)) => OtpChannel::Totp {
            secret: StoredSecret(secret),
            last_step: totp_last_step.unwrap_or(i64::MIN),
        },
        (other, _) => {
            return Err(StoreError::Configuration(format!(
                "unknown OTP channel {other:?} in signing_credentials"
            )));
        }
    };
    Ok(SigningCredentials { password_hash, otp })
}

macro_rules! portal_queries {
    ($pool:ty, $conn:ty) => {
        use certdesk_domain::notification::Email;
        use certdesk_domain::otp::{OtpChannel, SigningCredentials};
        use chrono::{DateTime, Utc};
        use sqlx::Row;

        use crate::{NewPortalSession, PortalSessionRecord, StoreResult};

        pub async fn create_login_state(
            pool: &$pool,
            state_hash: &str,
            expires_at: DateTime<Utc>,
        ) -> StoreResult<()> {
            sqlx::query("INSERT INTO portal_login_states (state_hash, expires_at) VALUES ($1, $2)")
                .bind(state_hash)
                .bind(expires_at)
                .execute(pool)
                .await?;
            Ok(())
        }

        pub async fn take_login_state(
            pool: &$pool,
            state_hash: &str,
            now: DateTime<Utc>,
        ) -> StoreResult<bool> {
            let taken = sqlx::query(
                "DELETE FROM portal_login_states WHERE state_hash = $1 AND expires_at > $2",
            )
            .bind(state_hash)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected();
            // Expired states are of no use to anyone: tidy them while here.
            sqlx::query("DELETE FROM portal_login_states WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            Ok(taken == 1)
        }

        pub async fn create_session(pool: &$pool, s: &NewPortalSession) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO portal_sessions (token_hash, afm, identity, csrf_token, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&s.token_hash)
            .bind(&s.afm)
            .bind(&s.identity)
            .bind(&s.csrf_token)
            .bind(s.created_at)
            .bind(s.expires_at)
            .execute(pool)
            .await?;
            Ok(())
        }

        pub async fn session(
            pool: &$pool,
            token_hash: &str,
            now: DateTime<Utc>,
        ) -> StoreResult<Option<PortalSessionRecord>> {
            Ok(sqlx::query_as(
                "SELECT afm, identity, csrf_token, enrolment, expires_at FROM portal_sessions \
                 WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?)
        }

        pub async fn set_enrolment(
            pool: &$pool,
            token_hash: &str,
            enrolment: Option<&str>,
        ) -> StoreResult<()> {
            sqlx::query("UPDATE portal_sessions SET enrolment = $1 WHERE token_hash = $2")
                .bind(enrolment)
                .bind(token_hash)
                .execute(pool)
                .await?;
            Ok(())
        }

        /// Deletes expired portal sessions, login states and console sessions.
        pub async fn purge_expired(pool: &$pool, now: DateTime<Utc>) -> StoreResult<u64> {
            let mut purged = 0;
            for table in ["portal_sessions", "portal_login_states", "sessions"] {
                let sql = match table {
                    "portal_sessions" => "DELETE FROM portal_sessions WHERE expires_at <= $1",
                    "portal_login_states" => "DELETE FROM portal_login_states WHERE expires_at <= $1",
                    _ => "DELETE FROM sessions WHERE expires_at <= $1",
                };
                purged += sqlx::query(sql).bind(now).execute(pool).await?.rows_affected();
            }
            Ok(purged)
        }

        pub async fn delete_session(pool: &$pool, token_hash: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM portal_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
            Ok(())
        }

        pub async fn beneficiary_application_id(
            pool: &$pool,
            afm: &str,
        ) -> StoreResult<Option<i64>> {
            Ok(sqlx::query_scalar(
                "SELECT a.id FROM applications a JOIN employees e ON e.id = a.employee_id \
                 WHERE e.afm = $1 ORDER BY a.id DESC LIMIT 1",
            )
            .bind(afm)
            .fetch_optional(pool)
            .await?)
        }

        pub async fn signing_credentials(
            pool: &$pool,
            application_id: i64,
        ) -> StoreResult<Option<SigningCredentials>> {
            let row = sqlx::query(
                "SELECT password_hash, otp_channel, totp_secret, totp_last_step \
                 FROM signing_credentials WHERE application_id = $1",
            )
            .bind(application_id)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let channel: String = row.try_get("otp_channel")?;
            super::credentials_from(
                row.try_get("password_hash")?,
                &channel,
                row.try_get("totp_secret")?,
                row.try_get("totp_last_step")?,
            )
            .map(Some)
        }

        pub async fn use_totp_step(
            pool: &$pool,
            application_id: i64,
            step: i64,
        ) -> StoreResult<bool> {
            // The condition makes the check and the update one step: of two requests with the
            // same code, one updates the row and the other finds nothing to update.
            let updated = sqlx::query(
                "UPDATE signing_credentials SET totp_last_step = $1 WHERE application_id = $2 \
                 AND otp_channel = 'totp' AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(application_id)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(updated == 1)
        }

        pub async fn send_email_code(
            pool: &$pool,
            application_id: i64,
            code_digest: &str,
            expires_at: DateTime<Utc>,
            email: &Email,
            now: DateTime<Utc>,
        ) -> StoreResult<()> {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM email_otp_codes WHERE application_id = $1")
                .bind(application_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO email_otp_codes (application_id, code_digest, expires_at) \
                 VALUES ($1, $2, $3)",
            )
            .bind(application_id)
            .bind(code_digest)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO outbox (application_id, recipient, subject, body_text, body_html, \
                 created_at, next_attempt_at) \
                 SELECT id, email, $1, $2, $3, $4, $4 FROM applications WHERE id = $5",
            )
            .bind(&email.subject)
            .bind(&email.body_text)
            .bind(&email.body_html)
            .bind(now)
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }

        pub async fn take_email_code(
            pool: &$pool,
            application_id: i64,
            code_digest: &str,
            now: DateTime<Utc>,
        ) -> StoreResult<bool> {
            let taken = sqlx::query(
                "DELETE FROM email_otp_codes WHERE application_id = $1 AND code_digest = $2 \
                 AND expires_at > $3",
            )
            .bind(application_id)
            .bind(code_digest)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(taken == 1)
        }

        /// The `SetSigningCredentials` effect, inside the transition's transaction.
        pub async fn store_credentials(
            conn: &mut $conn,
            application_id: i64,
            credentials: &SigningCredentials,
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            let (secret, last_step) = match &credentials.otp {
                OtpChannel::Totp { secret, last_step } => (Some(secret.0.clone()), Some(*last_step)),
                OtpChannel::Email => (None, None),
            };
            sqlx::query(
                "INSERT INTO signing_credentials (application_id, password_hash, otp_channel, \
                 totp_secret, totp_last_step, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(application_id)
            .bind(&credentials.password_hash)
            .bind(credentials.otp.code())
            .bind(secret)
            .bind(last_step)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Part of the `DestroyKeyMaterial` effect: the means of signing go with the key.
        pub async fn destroy_credentials(conn: &mut $conn, application_id: i64) -> StoreResult<()> {
            sqlx::query("DELETE FROM signing_credentials WHERE application_id = $1")
                .bind(application_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM email_otp_codes WHERE application_id = $1")
                .bind(application_id)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }
    };
}

pub mod sqlite {
    portal_queries!(sqlx::SqlitePool, sqlx::SqliteConnection);
}

pub mod postgres {
    portal_queries!(sqlx::PgPool, sqlx::PgConnection);
}
