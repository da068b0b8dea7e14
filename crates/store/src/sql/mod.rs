//! Every statement of the store, written once. This directory is mounted as a module twice, by
//! `sqlite.rs` and by `postgres.rs`, each of which defines `dialect` first (the sqlx database,
//! pool and connection types, and the clauses that differ); see the crate's documentation for
//! why. Nothing in here names a backend.

mod account_security;
mod accounts;
mod applications;
pub(crate) mod combined_commits;
// Unused where the dialect has a bulk path of its own (COPY on PostgreSQL).
#[allow(dead_code)]
pub(crate) mod bulk_values;
mod credentials;
mod csc;
mod effects;
mod email_proofs;
pub(crate) mod employee_import;
pub(crate) mod employee_search;
pub(crate) mod employees;
mod gauges;
mod jobs;
pub(crate) mod one_hop;
mod outbox;
mod pki;
pub(crate) mod replica;
mod security_log;
mod sessions;
mod signatures;
pub(crate) mod starts;
mod transitions;

use certdesk_domain::validation::Field;
use sqlx::QueryBuilder;

use super::dialect::{
    ANALYZE_AFTER_LARGE_IMPORT, Conn, Db, IMPORT_SETTINGS, INDEXES_TO_REBUILD, MIGRATIONS, Pool,
    RESERVE_EMPLOYEE_IDS, SKIP_LOCKED, STATEMENTS_AS_CTES, STRPOS, bulk,
};
use crate::{Scope, StoreError, StoreOptions, StoreResult};
pub(crate) use combined_commits::transition_queue;

/// The store on one backend: a pool for reads and one for writes (the same pool on PostgreSQL;
/// on SQLite one writer connection, see `sqlite.rs`), and perhaps a read replica for searches.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) read: Pool,
    pub(crate) write: Pool,
    pub(crate) options: StoreOptions,
    /// SQLite's group commit: writes are answered once a shared fsync covers them. None where
    /// each commit is durable by itself (PostgreSQL, whose commits already share WAL flushes;
    /// an in-memory database).
    pub(crate) group_sync: Option<std::sync::Arc<crate::group_sync::GroupSync>>,
    /// Where the searches go when a read replica is configured (PostgreSQL only).
    pub(crate) replica: Option<std::sync::Arc<replica::Replica>>,
    /// Transitions waiting to share the next transaction (`combined_commits`).
    pub(crate) commits: std::sync::Arc<combined_commits::TransitionQueue>,
    /// Sessions read a moment ago (`session_cache`).
    pub(crate) session_cache: std::sync::Arc<crate::session_cache::SessionCache>,
}

impl SqlStore {
    /// Returns once everything this store committed so far is on disk.
    async fn durable(&self) -> Result<(), sqlx::Error> {
        match &self.group_sync {
            Some(group) => group.durable().await.map_err(sqlx::Error::Io),
            None => Ok(()),
        }
    }
}

type WriteFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, sqlx::Error>> + Send + 'a>>;

/// A write (a statement on the write pool, or a commit), answered only once it is durable.
trait Durably<T>: std::future::Future<Output = Result<T, sqlx::Error>> + Sized {
    fn durably<'a>(self, store: &'a SqlStore) -> WriteFuture<'a, T>
    where
        Self: Send + 'a,
        T: Send + 'a,
    {
        Box::pin(async move {
            let value = self.await?;
            store.durable().await?;
            Ok(value)
        })
    }

    /// As [`Durably::durably`], for a write to sessions or accounts: once it is over (done or
    /// failed), the sessions this process keeps in memory are read again.
    fn durably_for_sessions<'a>(self, store: &'a SqlStore) -> WriteFuture<'a, T>
    where
        Self: Send + 'a,
        T: Send + 'a,
    {
        Box::pin(async move {
            let written = self.durably(store).await;
            store.session_cache.invalidate();
            written
        })
    }
}

impl<T, F: std::future::Future<Output = Result<T, sqlx::Error>>> Durably<T> for F {}

/// Applies this backend's embedded migrations. A newer schema than this binary knows is accepted,
/// so that servers of the previous version keep running during a rolling upgrade (migrations
/// only add).
pub(crate) async fn migrate(pool: &Pool) -> StoreResult<()> {
    let mut migrator = MIGRATIONS;
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    employees::fill_search_columns(pool).await?;
    Ok(())
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Maps a unique violation to `Duplicate(field)`.
fn duplicate(field: Field) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Duplicate(field)
        } else {
            e.into()
        }
    }
}

/// ` LIMIT n`, the number written into the statement rather than bound. SQLite (3.46 and later)
/// plans a bound LIMIT by its value, so each new binding makes it parse and plan the statement
/// again: a tenth of the server's CPU on ΑΦΜ lookups over HTTP (perf, 10^6 employees).
fn push_limit(builder: &mut QueryBuilder<Db>, limit: i64) {
    builder.push(format!(" LIMIT {limit}"));
}

/// ` IN ($…, $…)` of the values, or a list that matches nothing when there are none.
fn push_in<T>(builder: &mut QueryBuilder<Db>, values: impl IntoIterator<Item = T>)
where
    T: for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Send + 'static,
{
    builder.push(" IN (");
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        builder.push("NULL");
    }
    let mut list = builder.separated(", ");
    for value in values {
        list.push_bind(value);
    }
    builder.push(")");
}

/// Limits a query to the employee records of `scope`; `employee` is the alias of `employees`.
fn push_employee_scope(builder: &mut QueryBuilder<Db>, employee: &str, scope: &Scope) {
    match scope {
        Scope::Organisations(ids) => {
            builder.push(format!(" AND {employee}.organisation_id"));
            push_in(builder, ids.clone());
        }
        Scope::Person(afm) => {
            builder
                .push(format!(" AND {employee}.afm = "))
                .push_bind(afm.as_str().to_owned());
        }
        Scope::Everything => {}
    }
}

/// Limits a query to the rows of `scope` of a table that carries their organisation and their
/// employee (`organisation_id`, `employee_id`: applications, name keys); `table` is its alias,
/// written `+k` where the organisation's index must not be chosen.
fn push_owned_scope(builder: &mut QueryBuilder<Db>, table: &str, scope: &Scope) {
    match scope {
        Scope::Organisations(ids) => {
            builder.push(format!(" AND {table}.organisation_id"));
            push_in(builder, ids.clone());
        }
        Scope::Person(afm) => {
            builder
                .push(format!(
                    " AND {table}.employee_id IN (SELECT id FROM employees WHERE afm = "
                ))
                .push_bind(afm.as_str().to_owned())
                .push(")");
        }
        Scope::Everything => {}
    }
}

/// Writes an email to the outbox of an application, due at once.
async fn queue_email(
    conn: &mut Conn,
    application_id: i64,
    email: &certdesk_domain::notification::Email,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<()> {
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
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A statement put together from this module's constants only (column lists, the dialect's
/// clauses), never from input: sqlx asks for such a string to be vouched for.
fn assembled(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}
