//! The secrets that prove an application's email, and the effects that set and spend them.

use async_trait::async_trait;
use certdesk_domain::email_proof::{LinkToken, ProofMethod};
use certdesk_domain::notification::Email;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row};

use super::Durably;
use super::one_hop::OneHop;
use super::{Conn, Db, SqlStore, push_owned_scope, queue_email};
use crate::{EmailProofSecrets, EmailProofs, Scope, StoreResult};

#[async_trait]
impl EmailProofs for SqlStore {
    async fn email_proof_secrets(
        &self,
        scope: &Scope,
        application_id: i64,
    ) -> StoreResult<Option<EmailProofSecrets>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT a.email_link_hash, a.email_link_expires_at, a.email_code_digest, \
             a.email_code_expires_at FROM applications a WHERE a.id = ",
        );
        q.push_bind(application_id);
        push_owned_scope(&mut q, "a", scope);
        let Some(row) = q.build().fetch_optional(&self.read).await? else {
            return Ok(None);
        };
        Ok(Some(EmailProofSecrets {
            link_hash: row.try_get("email_link_hash")?,
            link_expires_at: row.try_get("email_link_expires_at")?,
            code_digest: row.try_get("email_code_digest")?,
            code_expires_at: row.try_get("email_code_expires_at")?,
        }))
    }

    async fn send_email_proof_code(
        &self,
        application_id: i64,
        code_digest: &str,
        expires_at: DateTime<Utc>,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "UPDATE applications SET email_code_digest = $1, email_code_expires_at = $2 \
             WHERE id = $3",
        )
        .bind(code_digest)
        .bind(expires_at)
        .bind(application_id)
        .execute(&mut *tx)
        .await?;
        queue_email(&mut tx, application_id, email, now).await?;
        tx.commit().durably(self).await?;
        Ok(())
    }
}

/// Adds to `hop` the `SetEmailLink` effect: a new link replaces the old one, and the address it
/// is for must be proven again.
pub(super) fn add_set_link(hop: &mut OneHop, application_id: i64, link: &LinkToken) {
    let (hash, expires_at) = (link.hash().to_owned(), link.expires_at());
    hop.add(|q| {
        q.push("UPDATE applications SET email_link_hash = ");
        q.push_bind(hash);
        q.push(", email_link_expires_at = ");
        q.push_bind(expires_at);
        q.push(
            ", email_code_digest = NULL, email_code_expires_at = NULL, email_proven_at = NULL, \
             email_proven_by = NULL WHERE id = ",
        );
        q.push_bind(application_id);
    });
}

/// The `RecordEmailProof` effect: the proof is kept and whatever could prove again is spent.
pub(super) async fn record_proof(
    conn: &mut Conn,
    application_id: i64,
    method: ProofMethod,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE applications SET email_proven_at = $1, email_proven_by = $2, \
         email_link_hash = NULL, email_link_expires_at = NULL, email_code_digest = NULL, \
         email_code_expires_at = NULL WHERE id = $3",
    )
    .bind(at)
    .bind(method.code())
    .bind(application_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
