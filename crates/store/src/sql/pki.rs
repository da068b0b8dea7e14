//! The certificate authority and the certificates it issued.

use async_trait::async_trait;
use certdesk_domain::certificate::NewCertificate;
use certdesk_domain::notification::Email;
use certdesk_domain::validation::Field;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::Durably;
use super::{Conn, Db, SqlStore, assembled, duplicate, push_owned_scope, queue_email};
use crate::rows::{CERTIFICATE_COLUMNS, CertificateRow, RevocationRow, convert, convert_one};
use crate::{AuthorityRecord, CertificateRecord, Pki, Revocation, Scope, StoreResult};

fn issued() -> &'static str {
    certdesk_domain::Status::Issued.code()
}

#[async_trait]
impl Pki for SqlStore {
    async fn save_authority(&self, ca: &AuthorityRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO certificate_authority (id, algorithm, public_url, root_der, \
             issuing_der, sealed_root_key, sealed_issuing_key, kek_fingerprint, created_at, \
             root_crl) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&ca.algorithm)
        .bind(&ca.public_url)
        .bind(&ca.root_der)
        .bind(&ca.issuing_der)
        .bind(&ca.sealed_root_key)
        .bind(&ca.sealed_issuing_key)
        .bind(&ca.kek_fingerprint)
        .bind(ca.created_at)
        .bind(&ca.root_crl)
        .execute(&self.write)
        .durably(self)
        .await
        .map_err(duplicate(Field::Authority))?;
        Ok(())
    }

    async fn authority(&self) -> StoreResult<Option<AuthorityRecord>> {
        Ok(sqlx::query_as(
            "SELECT algorithm, public_url, root_der, issuing_der, sealed_root_key, \
             sealed_issuing_key, kek_fingerprint, created_at, root_crl \
             FROM certificate_authority WHERE id = 1",
        )
        .fetch_optional(&self.read)
        .await?)
    }

    async fn save_root_crl(&self, crl: &[u8]) -> StoreResult<()> {
        sqlx::query("UPDATE certificate_authority SET root_crl = $1 WHERE id = 1")
            .bind(crl)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn certificate(
        &self,
        scope: &Scope,
        application_id: i64,
    ) -> StoreResult<Option<CertificateRecord>> {
        let mut q = QueryBuilder::<Db>::new(format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates c \
             JOIN applications a ON a.id = c.application_id WHERE c.application_id = "
        ));
        q.push_bind(application_id);
        push_owned_scope(&mut q, "a", scope);
        let row: Option<CertificateRow> = q.build_query_as().fetch_optional(&self.read).await?;
        convert_one(row)
    }

    async fn certificate_by_serial(&self, serial: &str) -> StoreResult<Option<CertificateRecord>> {
        let row: Option<CertificateRow> = sqlx::query_as(assembled(format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates c WHERE c.serial = $1"
        )))
        .bind(serial.to_ascii_uppercase())
        .fetch_optional(&self.read)
        .await?;
        convert_one(row)
    }

    async fn revocations(&self) -> StoreResult<Vec<Revocation>> {
        let rows: Vec<RevocationRow> = sqlx::query_as(
            "SELECT serial, revoked_at, revocation_reason FROM certificates \
             WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial",
        )
        .fetch_all(&self.read)
        .await?;
        convert(rows)
    }

    async fn certificates_to_warn(
        &self,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CertificateRecord>> {
        let rows: Vec<CertificateRow> = sqlx::query_as(assembled(format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates c \
             JOIN applications a ON a.id = c.application_id \
             WHERE a.status = $1 AND c.revoked_at IS NULL \
             AND c.expiry_notice_sent_at IS NULL AND c.not_after <= $2 \
             ORDER BY c.not_after LIMIT $3"
        )))
        .bind(issued())
        .bind(until)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        convert(rows)
    }

    async fn send_expiry_notice(
        &self,
        application_id: i64,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await?;
        // The condition makes the notice once only, whichever server sweeps first.
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
        queue_email(&mut tx, application_id, email, now).await?;
        tx.commit().durably(self).await?;
        Ok(true)
    }

    async fn expired_certificates(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT c.application_id FROM certificates c \
             JOIN applications a ON a.id = c.application_id \
             WHERE a.status = $1 AND c.not_after <= $2 ORDER BY c.not_after LIMIT $3",
        )
        .bind(issued())
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }
}

/// The `StoreCertificate` effects of a batch, inside its transaction: each certificate, and
/// the beneficiary's sealed key as its application's key material (replacing any).
pub(super) async fn store_certificates(
    conn: &mut Conn,
    certificates: &[(i64, &NewCertificate, DateTime<Utc>)],
) -> StoreResult<()> {
    for chunk in certificates.chunks(super::transitions::ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO certificates (serial, application_id, der, not_before, not_after, \
             created_at) ",
        );
        q.push_values(chunk, |mut row, (id, certificate, at)| {
            row.push_bind(certificate.serial.clone())
                .push_bind(*id)
                .push_bind(certificate.der.clone())
                .push_bind(certificate.not_before)
                .push_bind(certificate.not_after)
                .push_bind(*at);
        });
        q.build().execute(&mut *conn).await?;
        let mut q = QueryBuilder::<Db>::new("DELETE FROM key_material WHERE application_id");
        super::push_in(&mut q, chunk.iter().map(|(id, _, _)| *id));
        q.build().execute(&mut *conn).await?;
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO key_material (application_id, encrypted_key, created_at) ",
        );
        q.push_values(chunk, |mut row, (id, certificate, at)| {
            row.push_bind(*id)
                .push_bind(certificate.sealed_key.clone())
                .push_bind(*at);
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}
