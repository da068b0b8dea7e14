//! Organisations and ΔΨΠ accounts.

use async_trait::async_trait;
use certdesk_domain::validation::Field;
use chrono::{DateTime, Utc};

use super::{Pool, SqlStore, duplicate};
use crate::rows::AdministratorRow;
use crate::{Accounts, AdministratorRecord, NewAdministrator, Organisation, StoreResult};

/// The organisations a ΔΨΠ serves.
pub(super) async fn organisations_of(pool: &Pool, administrator_id: i64) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT organisation_id FROM administrator_organisations WHERE administrator_id = $1 \
         ORDER BY organisation_id",
    )
    .bind(administrator_id)
    .fetch_all(pool)
    .await?)
}

#[async_trait]
impl Accounts for SqlStore {
    async fn create_organisation(
        &self,
        code: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Organisation> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (code, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(code)
        .bind(name)
        .bind(now)
        .fetch_one(&self.write)
        .await
        .map_err(duplicate(Field::OrganisationCode))?;
        Ok(Organisation {
            id,
            code: code.to_owned(),
            name: name.to_owned(),
        })
    }

    async fn organisation_by_code(&self, code: &str) -> StoreResult<Option<Organisation>> {
        let row: Option<(i64, String, String)> =
            sqlx::query_as("SELECT id, code, name FROM organisations WHERE code = $1")
                .bind(code)
                .fetch_optional(&self.read)
                .await?;
        Ok(row.map(|(id, code, name)| Organisation { id, code, name }))
    }

    async fn create_administrator(
        &self,
        admin: &NewAdministrator,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO administrators (username, full_name, password_hash, created_at, \
             must_change_password, second_factor_required) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&admin.username)
        .bind(&admin.full_name)
        .bind(&admin.password_hash)
        .bind(now)
        .bind(admin.must_change_password)
        .bind(admin.second_factor_required)
        .fetch_one(&mut *tx)
        .await
        .map_err(duplicate(Field::Username))?;
        for org in &admin.organisation_ids {
            sqlx::query(
                "INSERT INTO administrator_organisations (administrator_id, organisation_id) \
                 VALUES ($1, $2)",
            )
            .bind(id)
            .bind(org)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn administrator_by_username(
        &self,
        username: &str,
    ) -> StoreResult<Option<AdministratorRecord>> {
        let row: Option<AdministratorRow> = sqlx::query_as(
            "SELECT id, username, full_name, password_hash, must_change_password, \
             second_factor_required, totp_secret, totp_last_step FROM administrators \
             WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        match row {
            Some(row) => {
                let organisations = organisations_of(&self.read, row.id).await?;
                Ok(Some(row.with_organisations(organisations)))
            }
            None => Ok(None),
        }
    }

    async fn set_administrator_password(&self, id: i64, password_hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE administrators SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn add_administrator_to_organisation(
        &self,
        administrator_id: i64,
        organisation_id: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO administrator_organisations (administrator_id, organisation_id) \
             VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(administrator_id)
        .bind(organisation_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }
}
