//! The scale-out store: PostgreSQL (or a PostgreSQL-compatible database), shared by any number of
//! stateless certdesk servers. The same tables and transitions as `sqlite.rs`, with PostgreSQL's
//! placeholders; races between servers are settled by the conditional updates (row locks) and
//! unique indexes, and jobs are taken with `FOR UPDATE SKIP LOCKED`.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use certdesk_domain::notification::{Email, status_change_email};
use certdesk_domain::otp::SigningCredentials;
use certdesk_domain::text::{fold, name_keys};
use certdesk_domain::{Effect, HistoryEntry, Status, Transition};
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::rows::*;
use crate::sqlite::prefix_end;
use crate::*;

/// The embedded migrations. A newer schema than this binary knows is accepted, so that servers
/// of the previous version keep running during a rolling upgrade (migrations only add).
fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_ignore_missing(true);
    migrator
}

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    options: StoreOptions,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://…`) and migrates it. Several servers may
    /// start at once: sqlx's migrator takes an advisory lock.
    pub async fn open(url: &str) -> StoreResult<PostgresStore> {
        PostgresStore::open_with(url, StoreOptions::default()).await
    }

    /// As [`PostgresStore::open`], with options.
    pub async fn open_with(url: &str, store_options: StoreOptions) -> StoreResult<PostgresStore> {
        let options = PgConnectOptions::from_str(url)?.application_name("certdesk");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        migrator().run(&pool).await?;
        Ok(PostgresStore {
            pool,
            options: store_options,
        })
    }
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

fn duplicate(field: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Duplicate(field)
        } else {
            e.into()
        }
    }
}

const EMPLOYEE_COLUMNS: &str = "e.id, e.organisation_id, o.name AS organisation_name, e.afm, \
     e.surname, e.given_name, e.father_name, e.id_card, e.birth_date, e.email, e.mobile, e.unit, \
     e.position, e.active, e.current_application_id, \
     (SELECT u.username FROM usernames u WHERE u.employee_id = e.id \
      ORDER BY u.application_id DESC LIMIT 1) AS username";

/// `AND <column> IN (...)` with the scope's organisations, or nothing for `Scope::Everything`.
fn push_scope_on(builder: &mut QueryBuilder<Postgres>, column: &str, scope: &Scope) {
    if let Scope::Organisations(ids) = scope {
        builder.push(format!(" AND {column} IN ("));
        if ids.is_empty() {
            builder.push("NULL");
        }
        let mut list = builder.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        builder.push(")");
    }
}

/// `AND e.organisation_id IN (...)`, or nothing for `Scope::Everything`.
fn push_scope(builder: &mut QueryBuilder<Postgres>, scope: &Scope) {
    push_scope_on(builder, "e.organisation_id", scope);
}

fn push_employee_filters(
    builder: &mut QueryBuilder<Postgres>,
    scope: &Scope,
    query: &EmployeeQuery,
) {
    push_scope(builder, scope);
    for token in &query.name_tokens {
        builder
            .push(" AND e.id IN (SELECT k.employee_id FROM employee_name_keys k WHERE k.key >= ")
            .push_bind(token.clone())
            .push(" AND k.key < ")
            .push_bind(prefix_end(token));
        push_scope_on(builder, "k.organisation_id", scope);
        builder.push(")");
    }
    if let Some(afm) = &query.afm {
        builder.push(" AND e.afm = ").push_bind(afm.clone());
    }
    if let Some(id_card) = &query.id_card {
        builder.push(" AND e.id_card = ").push_bind(id_card.clone());
    }
    if let Some(email) = &query.email {
        builder
            .push(" AND lower(e.email) = lower(")
            .push_bind(email.clone())
            .push(")");
    }
    if let Some(username) = &query.username {
        builder
            .push(" AND e.id IN (SELECT u.employee_id FROM usernames u WHERE u.username = ")
            .push_bind(username.clone())
            .push(")");
    }
    match query.status {
        Some(StatusFilter::NoApplication) => {
            builder.push(" AND e.current_application_id IS NULL");
        }
        Some(StatusFilter::Is(status)) => {
            builder.push(" AND a.status = ").push_bind(status.code());
        }
        None => {}
    }
    if let Some(unit) = &query.unit {
        builder.push(" AND e.unit = ").push_bind(unit.clone());
    }
}

/// Carries out a transition's effects inside its transaction.
async fn apply_effects(
    conn: &mut PgConnection,
    t: &Transition,
    options: &StoreOptions,
) -> StoreResult<()> {
    let app = sqlx::query(
        "SELECT a.employee_id, a.email, e.given_name, e.surname FROM applications a \
         JOIN employees e ON e.id = a.employee_id WHERE a.id = $1",
    )
    .bind(t.application_id)
    .fetch_one(&mut *conn)
    .await?;
    let employee_id: i64 = app.try_get("employee_id")?;
    let id = t.application_id;
    for effect in &t.effects {
        match effect {
            Effect::ReserveUsername(username) => {
                sqlx::query("INSERT INTO usernames (username, employee_id, application_id) VALUES ($1, $2, $3)")
                    .bind(username.as_str())
                    .bind(employee_id)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(duplicate("username"))?;
            }
            Effect::ReleaseUsername => {
                sqlx::query("DELETE FROM usernames WHERE application_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Effect::DropPendingJobs => {
                sqlx::query("DELETE FROM jobs WHERE application_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Effect::DestroyKeyMaterial => {
                sqlx::query("DELETE FROM key_material WHERE application_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                crate::portal::postgres::destroy_credentials(&mut *conn, id).await?;
            }
            Effect::StoreCertificate(certificate) => {
                crate::pki::postgres::store_certificate(&mut *conn, id, certificate, t.at).await?;
            }
            Effect::RevokeCertificate { crl_reason } => {
                sqlx::query(
                    "UPDATE certificates SET revoked_at = $1, revocation_reason = $2 \
                     WHERE application_id = $3 AND revoked_at IS NULL",
                )
                .bind(t.at)
                .bind(*crl_reason)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            Effect::SetSigningCredentials(credentials) => {
                crate::portal::postgres::store_credentials(&mut *conn, id, credentials, t.at)
                    .await?;
            }
            Effect::QueueIssuance => {
                sqlx::query(
                    "INSERT INTO jobs (kind, application_id, run_at, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(crate::worker::ISSUE_CERTIFICATE)
                .bind(id)
                .bind(t.at + options.issuance_delay)
                .bind(t.at)
                .execute(&mut *conn)
                .await?;
            }
            Effect::NotifyBeneficiary => {
                let email = status_change_email(
                    app.try_get("given_name")?,
                    app.try_get("surname")?,
                    t.to,
                    &t.description,
                    t.reason.as_deref(),
                    options.portal_url.as_deref(),
                );
                // Due at once: the next delivery run sends it.
                sqlx::query(
                    "INSERT INTO outbox (application_id, recipient, subject, body_text, body_html, \
                     created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(id)
                .bind(app.try_get::<String, _>("email")?)
                .bind(email.subject)
                .bind(email.body_text)
                .bind(email.body_html)
                .bind(t.at)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

async fn append_history(conn: &mut PgConnection, t: &Transition) -> StoreResult<()> {
    let last: Option<(String, i64)> = sqlx::query_as(
        "SELECT hash, seq FROM application_history WHERE application_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(t.application_id)
    .fetch_optional(&mut *conn)
    .await?;
    let entry = t.history_entry(last.as_ref().map(|(hash, seq)| (hash.as_str(), *seq)));
    sqlx::query(
        "INSERT INTO application_history (application_id, seq, at, action, description, reason, \
         actor_kind, actor_id, actor_name, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.application_id)
    .bind(entry.seq)
    .bind(entry.at)
    .bind(entry.action.code())
    .bind(&entry.description)
    .bind(&entry.reason)
    .bind(entry.actor_kind.code())
    .bind(entry.actor_id)
    .bind(&entry.actor_name)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn organisations_of(pool: &PgPool, administrator_id: i64) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT organisation_id FROM administrator_organisations WHERE administrator_id = $1 \
         ORDER BY organisation_id",
    )
    .bind(administrator_id)
    .fetch_all(pool)
    .await?)
}

#[async_trait]
impl Store for PostgresStore {
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
        .fetch_one(&self.pool)
        .await
        .map_err(duplicate("code"))?;
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
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, code, name)| Organisation { id, code, name }))
    }

    async fn create_administrator(
        &self,
        admin: &NewAdministrator,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO administrators (username, full_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&admin.username)
        .bind(&admin.full_name)
        .bind(&admin.password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(duplicate("username"))?;
        for org in &admin.organisation_ids {
            sqlx::query("INSERT INTO administrator_organisations (administrator_id, organisation_id) VALUES ($1, $2)")
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
            "SELECT id, username, full_name, password_hash FROM administrators WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => {
                let organisations = organisations_of(&self.pool, row.id).await?;
                Ok(Some(row.with_organisations(organisations)))
            }
            None => Ok(None),
        }
    }

    async fn set_administrator_password(&self, id: i64, password_hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE administrators SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn add_administrator_to_organisation(
        &self,
        administrator_id: i64,
        organisation_id: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO administrator_organisations (administrator_id, organisation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(administrator_id)
        .bind(organisation_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_login_failure(&self, username: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("INSERT INTO login_failures (username, at) VALUES ($1, $2)")
            .bind(username)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn login_failures_since(&self, username: &str, since: DateTime<Utc>) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM login_failures WHERE username = $1 AND at > $2",
        )
        .bind(username)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(count as u64)
    }

    async fn clear_login_failures(&self, username: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, administrator_id, kind, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&session.token_hash)
        .bind(session.administrator_id)
        .bind(session.kind.code())
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRecord>> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT s.administrator_id, s.kind, s.csrf_token, s.expires_at, a.username, a.full_name \
             FROM sessions s JOIN administrators a ON a.id = s.administrator_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let organisation_ids = organisations_of(&self.pool, row.administrator_id).await?;
        Ok(Some(row.into_record(organisation_ids)))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_employees(
        &self,
        organisation_id: i64,
        employees: &[NewEmployee],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<i64>> {
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(employees.len());
        for e in employees {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO employees (organisation_id, afm, surname, given_name, father_name, id_card, \
                 birth_date, email, mobile, unit, position, surname_fold, given_fold, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(organisation_id)
            .bind(&e.afm)
            .bind(&e.surname)
            .bind(&e.given_name)
            .bind(&e.father_name)
            .bind(&e.id_card)
            .bind(e.birth_date)
            .bind(&e.email)
            .bind(&e.mobile)
            .bind(&e.unit)
            .bind(&e.position)
            .bind(fold(&e.surname))
            .bind(fold(&e.given_name))
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(duplicate("afm"))?;
            for key in name_keys(&e.surname)
                .into_iter()
                .chain(name_keys(&e.given_name))
            {
                sqlx::query("INSERT INTO employee_name_keys (key, employee_id, organisation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(key)
                    .bind(id)
                    .bind(organisation_id)
                    .execute(&mut *tx)
                    .await?;
            }
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn search_employees(
        &self,
        scope: &Scope,
        query: &EmployeeQuery,
    ) -> StoreResult<SearchPage> {
        let from = " FROM employees e LEFT JOIN applications a ON a.id = e.current_application_id WHERE 1 = 1";
        let mut count = QueryBuilder::<Postgres>::new(format!("SELECT count(*){from}"));
        push_employee_filters(&mut count, scope, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;

        let mut select = QueryBuilder::<Postgres>::new(format!(
            "SELECT e.id, e.afm, e.surname, e.given_name, e.father_name, e.unit, a.status{from}"
        ));
        push_employee_filters(&mut select, scope, query);
        let (limit, offset) = query.limit_offset();
        select
            .push(" ORDER BY e.surname_fold, e.given_fold, e.id LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows: Vec<EmployeeListRow> = select.build_query_as().fetch_all(&self.pool).await?;
        Ok(SearchPage {
            total: total as u64,
            items: convert(rows)?,
        })
    }

    async fn employee(&self, scope: &Scope, id: i64) -> StoreResult<Option<EmployeeRecord>> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e JOIN organisations o ON o.id = e.organisation_id WHERE e.id = "
        ));
        q.push_bind(id);
        push_scope(&mut q, scope);
        let row: Option<EmployeeFullRow> = q.build_query_as().fetch_optional(&self.pool).await?;
        Ok(row.map(Into::into))
    }

    async fn employee_by_afm(
        &self,
        scope: &Scope,
        afm: &str,
    ) -> StoreResult<Option<EmployeeRecord>> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees e JOIN organisations o ON o.id = e.organisation_id WHERE e.afm = "
        ));
        q.push_bind(afm.to_owned());
        push_scope(&mut q, scope);
        q.push(" ORDER BY e.id LIMIT 1");
        let row: Option<EmployeeFullRow> = q.build_query_as().fetch_optional(&self.pool).await?;
        Ok(row.map(Into::into))
    }

    async fn units(&self, scope: &Scope) -> StoreResult<Vec<String>> {
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT DISTINCT e.unit FROM employees e WHERE e.unit <> ''",
        );
        push_scope(&mut q, scope);
        q.push(" ORDER BY e.unit");
        Ok(q.build_query_scalar().fetch_all(&self.pool).await?)
    }

    async fn create_application(
        &self,
        employee_id: i64,
        contact: &ApplicationContact,
        start: &Transition,
    ) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO applications (employee_id, organisation_id, status, version, email, mobile, created_at, updated_at) \
             SELECT id, organisation_id, $1, 1, $2, $3, $4, $5 FROM employees WHERE id = $6 RETURNING id",
        )
        .bind(start.to.code())
        .bind(&contact.email)
        .bind(&contact.mobile)
        .bind(start.at)
        .bind(start.at)
        .bind(employee_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::OpenApplicationExists } else { e.into() })?
        .ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE employees SET current_application_id = $1 WHERE id = $2")
            .bind(id)
            .bind(employee_id)
            .execute(&mut *tx)
            .await?;
        let start = Transition {
            application_id: id,
            ..start.clone()
        };
        append_history(&mut tx, &start).await?;
        apply_effects(&mut tx, &start, &self.options).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn application(&self, scope: &Scope, id: i64) -> StoreResult<Option<ApplicationRecord>> {
        let row: Option<ApplicationRow> =
            sqlx::query_as("SELECT * FROM applications WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        match row.map(ApplicationRecord::try_from).transpose()? {
            Some(app) if scope.allows(app.organisation_id) => Ok(Some(app)),
            _ => Ok(None),
        }
    }

    async fn commit_transition(&self, t: &Transition) -> StoreResult<()> {
        match self.commit_transitions(std::slice::from_ref(t)).await?[..] {
            [true] => Ok(()),
            _ => Err(StoreError::Conflict),
        }
    }

    async fn commit_transitions(&self, transitions: &[Transition]) -> StoreResult<Vec<bool>> {
        let mut tx = self.pool.begin().await?;
        let mut applied = Vec::with_capacity(transitions.len());
        for t in transitions {
            let Some(from) = t.from else {
                applied.push(false);
                continue;
            };
            let updated = sqlx::query(
                "UPDATE applications SET status = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND status = $4 AND version = $5",
            )
            .bind(t.to.code())
            .bind(t.at)
            .bind(t.application_id)
            .bind(from.code())
            .bind(t.expected_version)
            .execute(&mut *tx)
            .await?;
            // Lost its race: nothing of it is written; the others go on.
            if updated.rows_affected() != 1 {
                applied.push(false);
                continue;
            }
            append_history(&mut tx, t).await?;
            apply_effects(&mut tx, t, &self.options).await?;
            applied.push(true);
        }
        tx.commit().await?;
        Ok(applied)
    }

    async fn history(&self, application_id: i64) -> StoreResult<Vec<HistoryEntry>> {
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT * FROM application_history WHERE application_id = $1 ORDER BY seq",
        )
        .bind(application_id)
        .fetch_all(&self.pool)
        .await?;
        convert(rows)
    }

    async fn applications_of_employee(
        &self,
        employee_id: i64,
    ) -> StoreResult<Vec<ApplicationRecord>> {
        let rows: Vec<ApplicationRow> =
            sqlx::query_as("SELECT * FROM applications WHERE employee_id = $1 ORDER BY id DESC")
                .bind(employee_id)
                .fetch_all(&self.pool)
                .await?;
        convert(rows)
    }

    async fn application_ids(&self) -> StoreResult<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM applications ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn enqueue_job(
        &self,
        kind: &str,
        application_id: Option<i64>,
        run_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO jobs (kind, application_id, run_at, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(kind)
            .bind(application_id)
            .bind(run_at)
            .bind(run_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn claim_job(
        &self,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        // SKIP LOCKED: servers claiming at once each get a different job, without waiting.
        let mut q = QueryBuilder::<Postgres>::new("UPDATE jobs SET locked_until = ");
        q.push_bind(lease_until)
            .push(", attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE run_at <= ")
            .push_bind(now)
            .push(" AND (locked_until IS NULL OR locked_until < ")
            .push_bind(now)
            .push(") AND kind IN (");
        let mut list = q.separated(", ");
        for kind in kinds {
            list.push_bind(kind.to_string());
        }
        q.push(") ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, kind, application_id, run_at, attempts");
        let row: Option<JobRow> = q.build_query_as().fetch_optional(&self.pool).await?;
        Ok(row.map(Into::into))
    }

    async fn claim_jobs(
        &self,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Job>> {
        // SKIP LOCKED: servers claiming at once each get a different job, without waiting.
        let mut q = QueryBuilder::<Postgres>::new("UPDATE jobs SET locked_until = ");
        q.push_bind(lease_until)
            .push(", attempts = attempts + 1 WHERE id IN (SELECT id FROM jobs WHERE run_at <= ")
            .push_bind(now)
            .push(" AND (locked_until IS NULL OR locked_until < ")
            .push_bind(now)
            .push(") AND kind IN (");
        let mut list = q.separated(", ");
        for kind in kinds {
            list.push_bind(kind.to_string());
        }
        q.push(") ORDER BY run_at, id LIMIT ")
            .push_bind(limit)
            .push(" FOR UPDATE SKIP LOCKED) RETURNING id, kind, application_id, run_at, attempts");
        let rows: Vec<JobRow> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn complete_job(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release_job(&self, id: i64, run_at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET locked_until = NULL, run_at = $1 WHERE id = $2")
            .bind(run_at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn stale_applications(
        &self,
        updated_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<i64>> {
        // Which states are pending is the domain's rule, not this query's.
        let mut q = QueryBuilder::<Postgres>::new("SELECT id FROM applications WHERE status IN (");
        let mut list = q.separated(", ");
        for status in Status::ALL.into_iter().filter(|s| s.is_pending()) {
            list.push_bind(status.code());
        }
        q.push(") AND updated_at < ")
            .push_bind(updated_before)
            .push(" ORDER BY updated_at LIMIT ")
            .push_bind(limit);
        Ok(q.build_query_scalar().fetch_all(&self.pool).await?)
    }

    async fn reserved_username(&self, application_id: i64) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT username FROM usernames WHERE application_id = $1")
                .bind(application_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn pending_jobs(&self, application_id: i64) -> StoreResult<Vec<Job>> {
        let rows: Vec<JobRow> =
            sqlx::query_as("SELECT id, kind, application_id, run_at, attempts FROM jobs WHERE application_id = $1 ORDER BY id")
                .bind(application_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn outbox(&self, application_id: i64) -> StoreResult<Vec<OutboxMessage>> {
        let rows: Vec<OutboxRow> = sqlx::query_as(concat!(
            "SELECT ",
            outbox_columns!(),
            " FROM outbox WHERE application_id = $1 ORDER BY id"
        ))
        .bind(application_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        // SKIP LOCKED: servers claiming at once each get different messages, without waiting; a
        // message leased meanwhile no longer matches when its row lock is taken.
        let mut rows: Vec<OutboxRow> = sqlx::query_as(concat!(
            "UPDATE outbox SET locked_until = $1 WHERE id IN (SELECT id FROM outbox \
             WHERE sent_at IS NULL AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until < $2) \
             ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING ",
            outbox_columns!()
        ))
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        // RETURNING gives no order.
        rows.sort_by_key(|row| row.due_order());
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $1, locked_until = NULL WHERE id = $2 AND sent_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, locked_until = NULL, next_attempt_at = $1, \
             last_error = $2 WHERE id = $3 AND sent_at IS NULL",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn put_key_material(
        &self,
        application_id: i64,
        encrypted_key: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO key_material (application_id, encrypted_key, created_at) VALUES ($1, $2, $3)")
            .bind(application_id)
            .bind(encrypted_key)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn has_key_material(&self, application_id: i64) -> StoreResult<bool> {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM key_material WHERE application_id = $1")
                .bind(application_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(count > 0)
    }

    async fn settle_outbox_of_organisation(
        &self,
        organisation_id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        Ok(sqlx::query(
            "UPDATE outbox SET sent_at = $1 WHERE sent_at IS NULL AND application_id IN \
             (SELECT id FROM applications WHERE organisation_id = $2)",
        )
        .bind(at)
        .bind(organisation_id)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn drop_jobs_of_organisation(
        &self,
        organisation_id: i64,
        kind: &str,
    ) -> StoreResult<u64> {
        Ok(sqlx::query(
            "DELETE FROM jobs WHERE kind = $1 AND application_id IN \
             (SELECT id FROM applications WHERE organisation_id = $2)",
        )
        .bind(kind)
        .bind(organisation_id)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn save_authority(&self, authority: &AuthorityRecord) -> StoreResult<()> {
        crate::pki::postgres::save_authority(&self.pool, authority).await
    }

    async fn authority(&self) -> StoreResult<Option<AuthorityRecord>> {
        crate::pki::postgres::authority(&self.pool).await
    }

    async fn certificate(&self, application_id: i64) -> StoreResult<Option<CertificateRecord>> {
        crate::pki::postgres::certificate(&self.pool, application_id).await
    }

    async fn certificate_by_serial(&self, serial: &str) -> StoreResult<Option<CertificateRecord>> {
        crate::pki::postgres::certificate_by_serial(&self.pool, serial).await
    }

    async fn revocations(&self) -> StoreResult<Vec<Revocation>> {
        crate::pki::postgres::revocations(&self.pool).await
    }

    async fn certificates_to_warn(
        &self,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CertificateRecord>> {
        crate::pki::postgres::certificates_to_warn(&self.pool, until, limit).await
    }

    async fn send_expiry_notice(
        &self,
        application_id: i64,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        crate::pki::postgres::send_expiry_notice(&self.pool, application_id, email, now).await
    }

    async fn expired_certificates(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<i64>> {
        crate::pki::postgres::expired_certificates(&self.pool, now, limit).await
    }

    async fn create_portal_login_state(
        &self,
        state_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        crate::portal::postgres::create_login_state(&self.pool, state_hash, expires_at).await
    }

    async fn take_portal_login_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        crate::portal::postgres::take_login_state(&self.pool, state_hash, now).await
    }

    async fn create_portal_session(&self, session: &NewPortalSession) -> StoreResult<()> {
        crate::portal::postgres::create_session(&self.pool, session).await
    }

    async fn portal_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<PortalSessionRecord>> {
        crate::portal::postgres::session(&self.pool, token_hash, now).await
    }

    async fn set_portal_enrolment(
        &self,
        token_hash: &str,
        enrolment: Option<&str>,
    ) -> StoreResult<()> {
        crate::portal::postgres::set_enrolment(&self.pool, token_hash, enrolment).await
    }

    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        crate::portal::postgres::purge_expired(&self.pool, now).await
    }

    async fn delete_portal_session(&self, token_hash: &str) -> StoreResult<()> {
        crate::portal::postgres::delete_session(&self.pool, token_hash).await
    }

    async fn beneficiary_application_id(&self, afm: &str) -> StoreResult<Option<i64>> {
        crate::portal::postgres::beneficiary_application_id(&self.pool, afm).await
    }

    async fn signing_credentials(
        &self,
        application_id: i64,
    ) -> StoreResult<Option<SigningCredentials>> {
        crate::portal::postgres::signing_credentials(&self.pool, application_id).await
    }

    async fn use_totp_step(&self, application_id: i64, step: i64) -> StoreResult<bool> {
        crate::portal::postgres::use_totp_step(&self.pool, application_id, step).await
    }

    async fn send_email_code(
        &self,
        application_id: i64,
        code_digest: &str,
        expires_at: DateTime<Utc>,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        crate::portal::postgres::send_email_code(
            &self.pool,
            application_id,
            code_digest,
            expires_at,
            email,
            now,
        )
        .await
    }

    async fn take_email_code(
        &self,
        application_id: i64,
        code_digest: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        crate::portal::postgres::take_email_code(&self.pool, application_id, code_digest, now).await
    }
}
