//! The embedded store: one SQLite file in WAL mode.
//!
//! SQLite allows one writer at a time; instead of letting connections fight over the write lock
//! (and fail with SQLITE_BUSY mid-transaction), all writes go through a pool of exactly one
//! connection, while reads use a pool of several. The conditional updates are still written as
//! they are on PostgreSQL, where many writers do race. Jobs need no `SKIP LOCKED` here: the one
//! writer takes them one at a time.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{StoreOptions, StoreResult};

/// What the statements of `sql/` are compiled against here.
mod dialect {
    pub type Db = sqlx::Sqlite;
    pub type Pool = sqlx::SqlitePool;
    pub type Conn = sqlx::SqliteConnection;
    /// Its migrations (the DDL differs, so they are kept per backend).
    pub const MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    /// Behind the one writer, the select and the update of a claim cannot interleave with
    /// another claim.
    pub const SKIP_LOCKED: &str = "";
}

// The statements of `sql/` are mounted once per backend on purpose (see the crate's doc).
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
mod sql;

pub use sql::SqlStore as SqliteStore;

impl SqliteStore {
    /// Opens (creating if missing) the database file at `url` (`sqlite://path`) and migrates it.
    pub async fn open(url: &str) -> StoreResult<SqliteStore> {
        SqliteStore::open_with(url, StoreOptions::default()).await
    }

    /// As [`SqliteStore::open`], with options.
    pub async fn open_with(url: &str, options: StoreOptions) -> StoreResult<SqliteStore> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(connect.clone())
            .await?;
        sql::migrate(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(connect.read_only(true))
            .await?;
        Ok(SqliteStore {
            read,
            write,
            options,
        })
    }

    /// Writes a consistent copy of the database to `path` (which must not exist), while the
    /// store keeps serving: SQLite's `VACUUM INTO`.
    pub async fn backup_to(&self, path: &std::path::Path) -> StoreResult<()> {
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_schema_newer_than_the_binary_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        // A later version of certdesk applied a migration this binary does not know.
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, \
             checksum, execution_time) \
             VALUES (9999, 'from the future', '2030-01-01 00:00:00', 1, x'00', 1)",
        )
        .execute(&store.write)
        .await
        .unwrap();
        drop(store);
        SqliteStore::open(&url)
            .await
            .expect("older servers keep running during a rolling upgrade");
    }
}
