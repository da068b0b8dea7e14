//! Organisations and ΔΨΠ accounts.

use async_trait::async_trait;
use certdesk_domain::notification::Email;
use certdesk_domain::validation::Field;
use chrono::{DateTime, Utc};

use super::Durably;
use super::{Pool, SqlStore, assembled, duplicate};
use crate::rows::{ADMINISTRATOR_COLUMNS, AdministratorRow, convert};
use crate::{
    AccountSummary, Accounts, AdministratorRecord, NewAdministrator, Organisation, StoreResult,
};

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
        .durably(self)
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
        self.create_account(admin, None, now).await
    }

    async fn administrator_by_username(
        &self,
        username: &str,
    ) -> StoreResult<Option<AdministratorRecord>> {
        let row: Option<AdministratorRow> = sqlx::query_as(assembled(format!(
            "SELECT {ADMINISTRATOR_COLUMNS} FROM administrators WHERE username = $1"
        )))
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        self.with_organisations(row).await
    }

    async fn set_administrator_password(&self, id: i64, password_hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE administrators SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.write)
            .durably_for_sessions(self)
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
        .durably_for_sessions(self)
        .await?;
        Ok(())
    }

    async fn create_account(
        &self,
        account: &NewAdministrator,
        welcome: Option<&Email>,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO administrators (username, full_name, password_hash, role, \
             must_change_password, second_factor_required, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&account.username)
        .bind(&account.full_name)
        .bind(&account.password_hash)
        .bind(account.role.code())
        .bind(account.must_change_password)
        .bind(account.second_factor_required)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(duplicate(Field::Username))?;
        for org in &account.organisation_ids {
            sqlx::query(
                "INSERT INTO administrator_organisations (administrator_id, organisation_id) \
                 VALUES ($1, $2)",
            )
            .bind(id)
            .bind(org)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(email) = welcome {
            sqlx::query(
                "INSERT INTO outbox (recipient, subject, body_text, body_html, created_at, \
                 next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(&account.username)
            .bind(&email.subject)
            .bind(&email.body_text)
            .bind(&email.body_html)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().durably_for_sessions(self).await?;
        Ok(id)
    }

    async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, code, name FROM organisations ORDER BY code")
                .fetch_all(&self.read)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, code, name)| Organisation { id, code, name })
            .collect())
    }

    async fn accounts(&self) -> StoreResult<Vec<AccountSummary>> {
        let rows: Vec<AdministratorRow> = sqlx::query_as(assembled(format!(
            "SELECT {ADMINISTRATOR_COLUMNS} FROM administrators ORDER BY username"
        )))
        .fetch_all(&self.read)
        .await?;
        convert(rows)
    }

    async fn administrator(&self, id: i64) -> StoreResult<Option<AdministratorRecord>> {
        let row: Option<AdministratorRow> = sqlx::query_as(assembled(format!(
            "SELECT {ADMINISTRATOR_COLUMNS} FROM administrators WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        self.with_organisations(row).await
    }

    async fn remove_administrator_from_organisation(
        &self,
        administrator_id: i64,
        organisation_id: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM administrator_organisations WHERE administrator_id = $1 \
             AND organisation_id = $2",
        )
        .bind(administrator_id)
        .bind(organisation_id)
        .execute(&self.write)
        .durably_for_sessions(self)
        .await?;
        Ok(())
    }

    async fn set_administrator_disabled(&self, id: i64, disabled: bool) -> StoreResult<()> {
        sqlx::query("UPDATE administrators SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(id)
            .execute(&self.write)
            .durably_for_sessions(self)
            .await?;
        Ok(())
    }

    async fn reset_administrator_password(&self, id: i64, password_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE administrators SET password_hash = $1, must_change_password = TRUE \
             WHERE id = $2",
        )
        .bind(password_hash)
        .bind(id)
        .execute(&self.write)
        .durably_for_sessions(self)
        .await?;
        Ok(())
    }

    async fn clear_administrator_second_factor(&self, id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE administrators SET totp_secret = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .durably_for_sessions(self)
            .await?;
        Ok(())
    }
}

impl SqlStore {
    async fn with_organisations(
        &self,
        row: Option<AdministratorRow>,
    ) -> StoreResult<Option<AdministratorRecord>> {
        match row {
            Some(row) => {
                let organisations = organisations_of(&self.read, row.id).await?;
                row.with_organisations(organisations).map(Some)
            }
            None => Ok(None),
        }
    }
}
