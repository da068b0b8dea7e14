//! Storage of certdesk: it stores, and decides nothing. The rules are the domain's; the use cases
//! that read, decide and store are `certdesk-app`'s.
//!
//! **The interface** is a handful of small role traits ([`roles`]): organisations and accounts,
//! employees, applications (with the effects of their transitions), jobs, the outbox, sessions
//! and throttling, the CA and its certificates, and signing credentials. [`Store`] is all of
//! them at once; [`connect`] opens one from a database URL.
//!
//! **Every SQL statement is written once** and runs on both backends. The statements live in
//! `src/sql/`, a directory of ordinary Rust modules that `sqlite.rs` and `postgres.rs` each mount
//! as their own module (`#[path = "sql/mod.rs"] mod sql;`), after defining `dialect`: the sqlx
//! database type, its pool and connection types, and the few clauses that truly differ
//! (`FOR UPDATE SKIP LOCKED`). So one source compiles twice, each time against one concrete
//! sqlx driver. Why this and not another mechanism:
//! - sqlx's compile-time macros (`query!`) check against one database, so they cannot serve two;
//! - code generic over `sqlx::Database` needs a higher-ranked bound for every type bound or
//!   decoded (`for<'q> i64: Encode<'q, DB>` …), repeated on every function, since where-clauses of
//!   a trait are not implied for its users;
//! - sqlx's `Any` driver has no date-time types, and every table here has some;
//! - a query builder (sea-query) would put a second language between the reader and the SQL,
//!   and its sqlx binding lags behind sqlx's releases;
//! - a `macro_rules!` body (what `portal.rs`/`pki.rs` did before) is not formatted by rustfmt,
//!   and its errors point into the macro.
//!
//! Mounting the same files twice keeps plain SQL and plain Rust, formatted and checked by the
//! compiler on both drivers. Placeholders are PostgreSQL's `$1`, `$2` …, which sqlx's SQLite
//! driver reads too (SQLite takes `$NNN` as parameter NNN); dynamic queries use `QueryBuilder`,
//! which writes each driver's own. Migrations stay per backend, under the same names
//! (`migrations/sqlite/`, `migrations/postgres/`), since their DDL differs.
//!
//! **What the store guarantees**: a transition is stored in one transaction, guarded by a
//! conditional update on the expected state and version, with its one history entry and its
//! effects, so a race has exactly one winner on both backends. Transitions committed at the same
//! time by different callers may share that transaction (`commit_queue`): each is still guarded
//! alone, and each caller is answered with its own outcome once the commit is durable.

mod commit_queue;
pub mod group_sync;
pub mod models;
pub mod postgres;
pub mod roles;
mod rows;
mod session_cache;
pub mod sqlite;

use std::sync::Arc;

pub use models::*;
pub use roles::*;

/// Everything a caller of the store needs in scope: the role traits, so that their methods can
/// be called on a `dyn Store`, and the models.
pub mod prelude {
    pub use crate::models::*;
    pub use crate::roles::*;
    pub use crate::{Scope, Store, StoreError, StoreOptions, StoreResult};
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist, or the caller's scope does not include it.
    #[error("not found")]
    NotFound,
    /// The application changed since it was read (another writer won the race).
    #[error("the application changed meanwhile")]
    Conflict,
    /// The employee already has an open application.
    #[error("the employee already has an open application")]
    OpenApplicationExists,
    /// A unique value is taken (organisation code, administrator username, ΑΦΜ, username).
    #[error("{0} is already taken")]
    Duplicate(certdesk_domain::validation::Field),
    /// The database cannot be reached.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The store is configured wrongly (e.g. a database URL of an unknown kind).
    #[error("{0}")]
    Configuration(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
            // PostgreSQL: connection exceptions (08…), the server shutting down or refusing
            // connections (57P…), too many connections (53300), a database not accepting
            // connections (55000 at connect time).
            sqlx::Error::Database(db)
                if db.code().is_some_and(|c| {
                    c.starts_with("08") || c.starts_with("57P") || c == "53300" || c == "55000"
                }) =>
            {
                StoreError::Unavailable(error.to_string())
            }
            _ => StoreError::Database(error),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What the store needs to know about the installation to write what it writes.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// The address of the beneficiary's portal (e.g. `https://certdesk.example.gr/portal`),
    /// linked from the emails («Έναρξη»). Without it, emails carry no link.
    pub portal_url: Option<String>,
    /// How long after the signature the CA issues: a window in which a ΔΨΠ can still cancel a
    /// signed application. Zero by default (issued at once).
    pub issuance_delay: chrono::Duration,
    /// A read replica of a PostgreSQL primary (`postgres://…`, a streaming standby): the
    /// employee search reads it, everything that decides reads the primary.
    pub read_replica_url: Option<String>,
}

/// Opens the store a database URL names: `sqlite://FILE` (created if missing) or
/// `postgres://…` (the database must exist; its schema is created if missing).
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    connect_with(url, StoreOptions::default()).await
}

/// As [`connect`], with options.
pub async fn connect_with(url: &str, options: StoreOptions) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            sqlite::SqliteStore::open_with(url, options).await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(
            postgres::PostgresStore::open_with(url, options).await?,
        ))
    } else {
        Err(StoreError::Configuration(format!(
            "unknown database URL {url:?}: expected sqlite://FILE or postgres://…"
        )))
    }
}

/// Whose data a query may reach. Every query that touches employees, applications, their
/// histories, certificates or credentials takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The organisations of a ΔΨΠ.
    Organisations(Vec<i64>),
    /// A beneficiary logged in through the tax registry: the applications of employee records
    /// with this ΑΦΜ, and nothing else.
    Person(certdesk_domain::validation::Afm),
    /// certdesk itself (background jobs, the CLI run by the operator).
    Everything,
}

#[cfg(test)]
mod tests {
    use certdesk_domain::Status;

    fn migration(backend: &str, name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend)
            .join(name);
        std::fs::read_to_string(path).unwrap()
    }

    /// The two backends keep their migrations under the same names, so that a version of the
    /// schema means the same thing on both.
    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |backend: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(backend);
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let sqlite = names("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("postgres"));
    }

    /// "At most one open application per employee" is enforced by a partial unique index that
    /// lists the states in which an application no longer blocks a new one. That list must be
    /// exactly the domain's terminal states, on both backends (the behaviour is tested over HTTP
    /// in the API suite, `a_new_application_waits_for_the_open_one_to_close`).
    #[test]
    fn the_one_open_application_index_lists_the_terminal_states() {
        let terminal: Vec<&str> = Status::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .map(Status::code)
            .collect();
        assert!(
            Status::ALL
                .into_iter()
                .all(|s| s.is_open() != s.is_terminal()),
            "open and terminal are complements"
        );
        for backend in ["sqlite", "postgres"] {
            let sql = migration(backend, "0001_foundation.sql");
            let start = sql
                .find("CREATE UNIQUE INDEX applications_one_open")
                .expect("the index exists");
            let clause = &sql[start..];
            let clause = &clause[..clause.find(';').unwrap()];
            let list = clause
                .split_once("status NOT IN (")
                .expect("the index excludes states")
                .1;
            let list = &list[..list.find(')').unwrap()];
            let mut listed: Vec<&str> = list
                .split(',')
                .map(|s| s.trim().trim_matches('\''))
                .collect();
            listed.sort_unstable();
            let mut expected = terminal.clone();
            expected.sort_unstable();
            assert_eq!(listed, expected, "{backend}");
        }
    }
}
