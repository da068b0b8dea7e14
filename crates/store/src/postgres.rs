//! The scale-out store: PostgreSQL (or a PostgreSQL-compatible database), shared by any number of
//! stateless certdesk servers. Races between servers are settled by the conditional updates (row
//! locks) and unique indexes, and jobs and emails are taken with `FOR UPDATE SKIP LOCKED`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{StoreError, StoreOptions, StoreResult};

/// What the statements of `sql/` are compiled against here.
mod dialect {
    pub type Db = sqlx::Postgres;
    pub type Pool = sqlx::PgPool;
    pub type Conn = sqlx::PgConnection;
    /// Its migrations (the DDL differs, so they are kept per backend).
    pub const MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    /// The position of a string in another (1-based, 0 when absent), as PostgreSQL names it.
    pub const STRPOS: &str = "strpos";
    /// Servers claiming at once each get different rows, without waiting for each other.
    pub const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
    /// Ids for `$1` new employees, taken from the column's sequence (other servers may be
    /// inserting at once).
    pub const RESERVE_EMPLOYEE_IDS: &str =
        "SELECT nextval(pg_get_serial_sequence('employees', 'id')) FROM generate_series(1, $1)";
    /// Several statements go as data-modifying `WITH` clauses of one (`sql/one_hop.rs`): the
    /// extended protocol takes one statement per message.
    pub const STATEMENTS_AS_CTES: bool = true;
    /// PostgreSQL keeps its indexes through an import: other servers write meanwhile.
    pub const INDEXES_TO_REBUILD: Option<&str> = None;
    /// Combined transactions that may run at once (half the pool, the rest left to reads):
    /// each waits on round trips, not on a lock, so callers share a transaction only when
    /// that many are already running.
    pub const COMMIT_LANES: usize = 8;
    /// The import's transaction looks up its own rows, which no statistics count yet: without
    /// this, the planner takes the table for empty and scans it whole for every batch.
    /// The planner's statistics, refreshed once a large import is stored: until autovacuum
    /// gets to them they count none of its rows, and a name search sorted thousands of keys
    /// (17 ms) instead of walking its stem's index in order (1.7 ms; bench-http at 50,000).
    pub const ANALYZE_AFTER_LARGE_IMPORT: &[&str] =
        &["ANALYZE employees", "ANALYZE employee_name_keys"];
    pub const IMPORT_SETTINGS: &[&str] = &[
        "SET LOCAL enable_seqscan = off",
        "SET LOCAL plan_cache_mode = force_custom_plan",
    ];
    /// An import's rows go by COPY.
    pub(crate) use super::copy as bulk;
}

pub(crate) mod copy;

// The statements of `sql/` are mounted once per backend on purpose (see the crate's doc).
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
mod sql;

pub use sql::SqlStore as PostgresStore;

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://…`) and migrates it. Several servers may
    /// start at once: sqlx's migrator takes an advisory lock.
    pub async fn open(url: &str) -> StoreResult<PostgresStore> {
        PostgresStore::open_with(url, StoreOptions::default()).await
    }

    /// As [`PostgresStore::open`], with options.
    pub async fn open_with(url: &str, options: StoreOptions) -> StoreResult<PostgresStore> {
        let connect = PgConnectOptions::from_str(url)?.application_name("certdesk");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(connect)
            .await?;
        sql::migrate(&pool).await?;
        let replica = match &options.read_replica_url {
            Some(url) => Some(std::sync::Arc::new(sql::replica::Replica::new(
                open_replica(url).await?,
            ))),
            None => None,
        };
        Ok(PostgresStore {
            read: pool.clone(),
            write: pool,
            options,
            group_sync: None,
            replica,
            commits: sql::transition_queue(dialect::COMMIT_LANES),
            session_cache: Default::default(),
        })
    }
}

/// The read replica's pool. One that cannot be reached at start is a mistake to show at once
/// (later, its reads go to the primary while it is away); one that is no standby is allowed
/// (a replica kept by other means), with a warning, since it may not follow this primary.
async fn open_replica(url: &str) -> StoreResult<sqlx::PgPool> {
    let unreachable = |e: sqlx::Error| {
        StoreError::Configuration(format!("the read replica cannot be reached: {e}"))
    };
    let connect = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Configuration(format!("the read replica's URL: {e}")))?
        .application_name("certdesk-replica-reads");
    let pool = PgPoolOptions::new()
        .max_connections(16)
        // A replica that hangs sends the search to the primary soon, not after the usual 5 s.
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(connect)
        .await
        .map_err(unreachable)?;
    let (standby,): (bool,) = sqlx::query_as("SELECT pg_is_in_recovery()")
        .fetch_one(&pool)
        .await
        .map_err(unreachable)?;
    if !standby {
        tracing::warn!(
            "the read replica is not a standby (pg_is_in_recovery() is false): make sure it \
             follows this primary"
        );
    }
    Ok(pool)
}
