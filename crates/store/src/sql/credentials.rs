//! Signing credentials, and the one-time codes they are confirmed with.

use async_trait::async_trait;
use certdesk_domain::notification::Email;
use certdesk_domain::otp::{OtpChannel, SigningCredentials};
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row};

use super::Durably;
use super::{Conn, Db, SqlStore, push_owned_scope, queue_email};
use crate::{Credentials, Scope, StoreError, StoreResult};

#[async_trait]
impl Credentials for SqlStore {
    async fn signing_credentials(
        &self,
        scope: &Scope,
        application_id: i64,
    ) -> StoreResult<Option<SigningCredentials>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT s.password_hash, s.otp_channel, s.totp_secret, s.totp_last_step, s.totp_drift \
             FROM signing_credentials s JOIN applications a ON a.id = s.application_id \
             WHERE s.application_id = ",
        );
        q.push_bind(application_id);
        push_owned_scope(&mut q, "a", scope);
        let Some(row) = q.build().fetch_optional(&self.read).await? else {
            return Ok(None);
        };
        let channel: String = row.try_get("otp_channel")?;
        let otp = OtpChannel::from_stored(
            &channel,
            row.try_get("totp_secret")?,
            row.try_get("totp_last_step")?,
            row.try_get("totp_drift")?,
        )
        .ok_or_else(|| {
            StoreError::Configuration(format!(
                "unknown OTP channel {channel:?} in signing_credentials"
            ))
        })?;
        Ok(Some(SigningCredentials {
            password_hash: row.try_get("password_hash")?,
            otp,
        }))
    }

    async fn replace_signing_credentials(
        &self,
        application_id: i64,
        credentials: &SigningCredentials,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let mut deletes = super::one_hop::OneHop::new();
        destroy(&mut deletes, &[application_id]);
        deletes.execute(&mut tx).await?;
        store(&mut tx, application_id, credentials, at).await?;
        tx.commit().durably(self).await?;
        Ok(())
    }

    async fn use_totp_step(&self, application_id: i64, step: i64) -> StoreResult<bool> {
        // The condition makes the check and the update one step: of two requests with the same
        // code, one updates the row and the other finds nothing to update.
        let updated = sqlx::query(
            "UPDATE signing_credentials SET totp_last_step = $1 WHERE application_id = $2 \
             AND otp_channel = 'totp' AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(application_id)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn change_signing_password(
        &self,
        application_id: i64,
        current_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        // Only from the hash that was verified: of two changes made at once, one wins and the
        // other finds its current password gone.
        let updated = sqlx::query(
            "UPDATE signing_credentials SET password_hash = $1 \
             WHERE application_id = $2 AND password_hash = $3",
        )
        .bind(new_hash)
        .bind(application_id)
        .bind(current_hash)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn resynchronise_totp(
        &self,
        application_id: i64,
        first_step: i64,
        last_step: i64,
        drift: i64,
    ) -> StoreResult<bool> {
        // Both codes must still be unused, as `use_totp_step` claims one.
        let updated = sqlx::query(
            "UPDATE signing_credentials SET totp_last_step = $1, totp_drift = $2 \
             WHERE application_id = $3 AND otp_channel = 'totp' \
             AND (totp_last_step IS NULL OR totp_last_step < $4)",
        )
        .bind(last_step)
        .bind(drift)
        .bind(application_id)
        .bind(first_step)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn send_email_code(
        &self,
        application_id: i64,
        code_digest: &str,
        expires_at: DateTime<Utc>,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
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
        queue_email(&mut tx, application_id, email, now).await?;
        tx.commit().durably(self).await?;
        Ok(())
    }

    async fn take_email_code(
        &self,
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
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }
}

/// The `SetSigningCredentials` effect, inside the transition's transaction.
pub(super) async fn store(
    conn: &mut Conn,
    application_id: i64,
    credentials: &SigningCredentials,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let (secret, last_step, drift) = match &credentials.otp {
        OtpChannel::Totp {
            secret,
            last_step,
            drift,
        } => (Some(secret.0.clone()), Some(*last_step), *drift),
        OtpChannel::Email => (None, None, 0),
    };
    sqlx::query(
        "INSERT INTO signing_credentials (application_id, password_hash, otp_channel, \
         totp_secret, totp_last_step, totp_drift, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(application_id)
    .bind(&credentials.password_hash)
    .bind(credentials.otp.code())
    .bind(secret)
    .bind(last_step)
    .bind(drift)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Part of the `DestroyKeyMaterial` effect: the means of signing go with the key (of every
/// application of `ids`).
pub(super) fn destroy(deletes: &mut super::one_hop::OneHop, ids: &[i64]) {
    for table in ["signing_credentials", "email_otp_codes"] {
        super::effects::delete_of(deletes, table, ids);
    }
}
