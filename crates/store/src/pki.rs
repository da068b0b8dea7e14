//! The storage of the certificate authority: the CA itself and the issued certificates. As in
//! `portal`, the statements are written once with `$n` placeholders and instantiated per backend.

macro_rules! pki_queries {
    ($pool:ty, $conn:ty) => {
        use certdesk_domain::certificate::NewCertificate;
        use chrono::{DateTime, Utc};

        use crate::{AuthorityRecord, CertificateRecord, StoreError, StoreResult};

        pub async fn save_authority(pool: &$pool, ca: &AuthorityRecord) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO certificate_authority (id, algorithm, public_url, root_der, \
                 issuing_der, sealed_root_key, sealed_issuing_key, kek_fingerprint, created_at) \
                 VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&ca.algorithm)
            .bind(&ca.public_url)
            .bind(&ca.root_der)
            .bind(&ca.issuing_der)
            .bind(&ca.sealed_root_key)
            .bind(&ca.sealed_issuing_key)
            .bind(&ca.kek_fingerprint)
            .bind(ca.created_at)
            .execute(pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::Duplicate("authority")
                }
                _ => e.into(),
            })?;
            Ok(())
        }

        pub async fn authority(pool: &$pool) -> StoreResult<Option<AuthorityRecord>> {
            Ok(sqlx::query_as(
                "SELECT algorithm, public_url, root_der, issuing_der, sealed_root_key, \
                 sealed_issuing_key, kek_fingerprint, created_at FROM certificate_authority \
                 WHERE id = 1",
            )
            .fetch_optional(pool)
            .await?)
        }

        pub async fn certificate(
            pool: &$pool,
            application_id: i64,
        ) -> StoreResult<Option<CertificateRecord>> {
            Ok(sqlx::query_as(
                "SELECT serial, application_id, der, not_before, not_after, revoked_at, \
                 revocation_reason, created_at FROM certificates WHERE application_id = $1",
            )
            .bind(application_id)
            .fetch_optional(pool)
            .await?)
        }

        pub async fn certificate_by_serial(
            pool: &$pool,
            serial: &str,
        ) -> StoreResult<Option<CertificateRecord>> {
            Ok(sqlx::query_as(
                "SELECT serial, application_id, der, not_before, not_after, revoked_at, \
                 revocation_reason, created_at FROM certificates WHERE serial = $1",
            )
            .bind(serial.to_ascii_uppercase())
            .fetch_optional(pool)
            .await?)
        }

        /// Every revocation, for the CRL, oldest first (the serials, not the certificates).
        pub async fn revocations(pool: &$pool) -> StoreResult<Vec<crate::Revocation>> {
            Ok(sqlx::query_as(
                "SELECT serial, revoked_at, revocation_reason FROM certificates \
                 WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial",
            )
            .fetch_all(pool)
            .await?)
        }

        /// Issued, unrevoked certificates that expire by `until` and whose holder was not told
        /// yet, soonest first.
        pub async fn certificates_to_warn(
            pool: &$pool,
            until: DateTime<Utc>,
            limit: i64,
        ) -> StoreResult<Vec<CertificateRecord>> {
            Ok(sqlx::query_as(
                "SELECT c.serial, c.application_id, c.der, c.not_before, c.not_after, \
                 c.revoked_at, c.revocation_reason, c.created_at FROM certificates c \
                 JOIN applications a ON a.id = c.application_id \
                 WHERE a.status = $3 AND c.revoked_at IS NULL \
                 AND c.expiry_notice_sent_at IS NULL AND c.not_after <= $1 \
                 ORDER BY c.not_after LIMIT $2",
            )
            .bind(until)
            .bind(limit)
            .bind(certdesk_domain::Status::Issued.code())
            .fetch_all(pool)
            .await?)
        }

        /// Writes the expiry notice to the outbox once: `false` when another server did already.
        pub async fn send_expiry_notice(
            pool: &$pool,
            application_id: i64,
            email: &certdesk_domain::notification::Email,
            now: DateTime<Utc>,
        ) -> StoreResult<bool> {
            let mut tx = pool.begin().await?;
            let marked = sqlx::query(
                "UPDATE certificates SET expiry_notice_sent_at = $1 \
                 WHERE application_id = $2 AND expiry_notice_sent_at IS NULL",
            )
            .bind(now)
            .bind(application_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked == 0 {
                return Ok(false);
            }
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
            Ok(true)
        }

        /// Issued applications whose certificate is past its notAfter.
        pub async fn expired_certificates(
            pool: &$pool,
            now: DateTime<Utc>,
            limit: i64,
        ) -> StoreResult<Vec<i64>> {
            Ok(sqlx::query_scalar(
                "SELECT c.application_id FROM certificates c \
                 JOIN applications a ON a.id = c.application_id \
                 WHERE a.status = $3 AND c.not_after <= $1 ORDER BY c.not_after LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .bind(certdesk_domain::Status::Issued.code())
            .fetch_all(pool)
            .await?)
        }

        /// The `StoreCertificate` effect, inside the transition's transaction: the certificate,
        /// and the beneficiary's sealed key with the application's key material.
        pub async fn store_certificate(
            conn: &mut $conn,
            application_id: i64,
            certificate: &NewCertificate,
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO certificates (serial, application_id, der, not_before, not_after, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&certificate.serial)
            .bind(application_id)
            .bind(&certificate.der)
            .bind(certificate.not_before)
            .bind(certificate.not_after)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM key_material WHERE application_id = $1")
                .bind(application_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO key_material (application_id, encrypted_key, created_at) \
                 VALUES ($1, $2, $3)",
            )
            .bind(application_id)
            .bind(&certificate.sealed_key)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }
    };
}

pub mod sqlite {
    pki_queries!(sqlx::SqlitePool, sqlx::SqliteConnection);
}

pub mod postgres {
    pki_queries!(sqlx::PgPool, sqlx::PgConnection);
}
