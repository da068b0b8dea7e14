//! The CSC API's bearer tokens and SADs (issue 11), kept as their SHA-256.

use async_trait::async_trait;
use certdesk_domain::csc::{Binding, Sad, SadBound};
use certdesk_domain::remote_signing::Digest;
use chrono::{DateTime, Utc};

use super::Durably;
use super::SqlStore;
use crate::{CscSessions, CscTokenRecord, NewCscToken, NewSad, StoreError, StoreResult};

#[async_trait]
impl CscSessions for SqlStore {
    async fn create_csc_token(&self, token: &NewCscToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO csc_tokens (token_hash, application_id, password_fingerprint, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&token.token_hash)
        .bind(token.application_id)
        .bind(&token.password_fingerprint)
        .bind(token.created_at)
        .bind(token.expires_at)
        .execute(&self.write)
        .durably(self)
        .await?;
        Ok(())
    }

    async fn csc_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CscTokenRecord>> {
        Ok(sqlx::query_as(
            "SELECT application_id, password_fingerprint, expires_at FROM csc_tokens \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn delete_csc_token(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM csc_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .durably(self)
            .await?;
        Ok(())
    }

    async fn create_sad(&self, sad: &NewSad) -> StoreResult<()> {
        let (digests, documents) = match &sad.binding {
            Binding::Hashes(digests) => (digests.as_slice(), None),
            Binding::Documents(count) => (&[][..], Some(*count as i32)),
        };
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO csc_sads (sad_hash, application_id, created_at, expires_at, documents) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&sad.sad_hash)
        .bind(sad.application_id)
        .bind(sad.created_at)
        .bind(sad.expires_at)
        .bind(documents)
        .execute(&mut *tx)
        .await?;
        for (position, digest) in digests.iter().enumerate() {
            sqlx::query(
                "INSERT INTO csc_sad_hashes (sad_hash, position, digest) VALUES ($1, $2, $3)",
            )
            .bind(&sad.sad_hash)
            .bind(position as i32)
            .bind(digest.to_hex())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().durably(self).await?;
        Ok(())
    }

    async fn sad(&self, sad_hash: &str, application_id: i64) -> StoreResult<Option<Sad>> {
        let row: Option<(DateTime<Utc>, Option<i32>, bool)> = sqlx::query_as(
            "SELECT expires_at, documents, used_at IS NOT NULL FROM csc_sads \
             WHERE sad_hash = $1 AND application_id = $2",
        )
        .bind(sad_hash)
        .bind(application_id)
        .fetch_optional(&self.read)
        .await?;
        let Some((expires_at, documents, used)) = row else {
            return Ok(None);
        };
        if let Some(count) = documents {
            let count = usize::try_from(count)
                .map_err(|_| StoreError::Configuration(format!("a SAD's documents {count}")))?;
            return Ok(Some(Sad {
                expires_at,
                bound: SadBound::Documents { count, used },
            }));
        }
        let rows: Vec<(String, bool)> = sqlx::query_as(
            "SELECT digest, used_at IS NOT NULL FROM csc_sad_hashes WHERE sad_hash = $1 \
             ORDER BY position",
        )
        .bind(sad_hash)
        .fetch_all(&self.read)
        .await?;
        let hashes = rows
            .into_iter()
            .map(|(digest, used)| {
                Digest::from_hex(&digest)
                    .map(|d| (d, used))
                    .ok_or_else(|| StoreError::Configuration(format!("a SAD's hash {digest:?}")))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(Sad {
            expires_at,
            bound: SadBound::Hashes(hashes),
        }))
    }

    async fn claim_sad(
        &self,
        sad_hash: &str,
        application_id: i64,
        digests: &[Digest],
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // In one order whatever the request's, so that two claims never wait for each other.
        let mut ordered: Vec<String> = digests.iter().map(Digest::to_hex).collect();
        ordered.sort();
        let mut tx = self.write.begin().await?;
        for digest in &ordered {
            // Conditional on the hash being unsigned and the SAD fresh: of two requests racing
            // for a hash, the second finds it signed (PostgreSQL re-reads the row it waited
            // for; SQLite's one writer runs them one after the other) and writes nothing.
            let claimed = sqlx::query(
                "UPDATE csc_sad_hashes SET used_at = $4 \
                 WHERE sad_hash = $1 AND digest = $3 AND used_at IS NULL \
                 AND EXISTS (SELECT 1 FROM csc_sads s WHERE s.sad_hash = $1 \
                 AND s.application_id = $2 AND s.expires_at > $4)",
            )
            .bind(sad_hash)
            .bind(application_id)
            .bind(digest)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        tx.commit().durably(self).await?;
        Ok(true)
    }

    async fn claim_sad_documents(
        &self,
        sad_hash: &str,
        application_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // Conditional on the SAD being one of documents, unspent and fresh: of two calls racing
        // for it, the second finds it spent and writes nothing.
        let claimed = sqlx::query(
            "UPDATE csc_sads SET used_at = $3 \
             WHERE sad_hash = $1 AND application_id = $2 AND documents IS NOT NULL \
             AND used_at IS NULL AND expires_at > $3",
        )
        .bind(sad_hash)
        .bind(application_id)
        .bind(now)
        .execute(&self.write)
        .durably(self)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }
}
