//! Signing with an issued certificate: the holder's username, the sealed key, the signing log.

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::Durably;
use super::{Db, SqlStore, assembled, push_owned_scope};
use crate::rows::{SIGNATURE_COLUMNS, SignatureRow, convert};
use crate::{NewSignatures, Scope, SignatureRecord, Signatures, StoreResult};

#[async_trait]
impl Signatures for SqlStore {
    async fn application_of_username(&self, username: &str) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT application_id FROM usernames WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    async fn sealed_key(&self, application_id: i64) -> StoreResult<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT encrypted_key FROM key_material WHERE application_id = $1")
                .bind(application_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    async fn record_signatures(&self, signatures: &NewSignatures) -> StoreResult<bool> {
        let mut tx = self.write.begin().await?;
        for digest in &signatures.digests {
            // The condition reads the certificate in the same statement: a revocation committed
            // before it leaves nothing written.
            let written = sqlx::query(
                "INSERT INTO signatures (application_id, at, digest, client, address) \
                 SELECT application_id, $2, $3, $4, $5 FROM certificates \
                 WHERE application_id = $1 AND revoked_at IS NULL",
            )
            .bind(signatures.application_id)
            .bind(signatures.at)
            .bind(digest)
            .bind(signatures.client.code())
            .bind(signatures.address.map(|a| a.to_string()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if written != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        tx.commit().durably(self).await?;
        Ok(true)
    }

    async fn signatures_of(
        &self,
        application_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<SignatureRecord>> {
        let rows: Vec<SignatureRow> = sqlx::query_as(assembled(format!(
            "SELECT {SIGNATURE_COLUMNS} FROM signatures WHERE application_id = $1 \
             ORDER BY id DESC LIMIT $2"
        )))
        .bind(application_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        convert(rows)
    }

    async fn signing_log(
        &self,
        scope: &Scope,
        application_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<SignatureRecord>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT s.id, s.application_id, s.at, s.digest, s.client, s.address \
             FROM signatures s JOIN applications a ON a.id = s.application_id \
             WHERE s.application_id = ",
        );
        q.push_bind(application_id);
        push_owned_scope(&mut q, "a", scope);
        if let Some(before) = before_id {
            q.push(" AND s.id < ").push_bind(before);
        }
        q.push(" ORDER BY s.id DESC LIMIT ").push_bind(limit);
        let rows: Vec<SignatureRow> = q.build_query_as().fetch_all(&self.read).await?;
        convert(rows)
    }

    async fn signature_count(&self, scope: &Scope, application_id: i64) -> StoreResult<i64> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM signatures s JOIN applications a ON a.id = s.application_id \
             WHERE s.application_id = ",
        );
        q.push_bind(application_id);
        push_owned_scope(&mut q, "a", scope);
        Ok(q.build_query_scalar().fetch_one(&self.read).await?)
    }
}
