//! A look into a test's database from outside the store: what a test must read or plant that the
//! store, rightly, offers no method for (the key material of an application, every row of every
//! table). It opens its own connection to the test database's URL, `sqlite://FILE` or
//! `postgres://…`, through sqlx's `Any` driver, so that one probe serves both stores.
//!
//! Every method panics, saying what it tried, when the database refuses: a probe that fails is a
//! test that fails, never one that passes without looking.

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::{AssertSqlSafe, Row};

/// Which store a probe looks into, as its URL says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbedStore {
    Sqlite,
    Postgres,
}

pub struct StoreProbe {
    pool: AnyPool,
    store: ProbedStore,
}

impl StoreProbe {
    /// A probe of the database at `url`. It connects on first use (the store must have made the
    /// schema by then), with at most two connections of its own.
    pub fn new(url: &str) -> StoreProbe {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("sqlite:") {
            ProbedStore::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            ProbedStore::Postgres
        } else {
            panic!("the store probe opens sqlite:// or postgres:// URLs, not {url:?}")
        };
        let pool = AnyPoolOptions::new()
            .max_connections(2)
            .connect_lazy(url)
            .unwrap_or_else(|e| {
                panic!("the store probe cannot use {} ({e})", crate::redacted(url))
            });
        StoreProbe { pool, store }
    }

    pub fn store(&self) -> ProbedStore {
        self.store
    }

    /// Whether key material is stored for the application.
    pub async fn has_key_material(&self, application_id: i64) -> bool {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM key_material WHERE application_id = $1")
                .bind(application_id)
                .fetch_one(&self.pool)
                .await
                .unwrap_or_else(|e| panic!("count the key material of {application_id}: {e}"));
        count > 0
    }

    /// How many rows `employees` and `employee_name_keys` hold (an import that refused a file
    /// must leave both as they were).
    pub async fn employee_rows(&self) -> (i64, i64) {
        let mut counts = [0; 2];
        for (count, statement) in counts.iter_mut().zip([
            "SELECT count(*) FROM employees",
            "SELECT count(*) FROM employee_name_keys",
        ]) {
            *count = sqlx::query_scalar(statement)
                .fetch_one(&self.pool)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        (counts[0], counts[1])
    }

    /// The names of the indexes of `employees` and `employee_name_keys` (a large import drops
    /// and makes again some of them on SQLite).
    pub async fn employee_indexes(&self) -> Vec<String> {
        let statement = match self.store {
            ProbedStore::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name IN ('employees', 'employee_name_keys') ORDER BY name"
            }
            ProbedStore::Postgres => {
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
                 AND tablename IN ('employees', 'employee_name_keys') ORDER BY indexname"
            }
        };
        sqlx::query_scalar(statement)
            .fetch_all(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"))
    }

    /// Makes the employee look as stored before the search columns of migration 0019: no
    /// Latin sort columns, no words, no keys (the store fills them when it is opened).
    pub async fn forget_search_columns(&self, employee_id: i64) {
        sqlx::query(
            "UPDATE employees SET surname_latin = '', given_latin = '', search_words = NULL \
             WHERE id = $1",
        )
        .bind(employee_id)
        .execute(&self.pool)
        .await
        .unwrap_or_else(|e| panic!("forget the search columns of {employee_id}: {e}"));
        sqlx::query("DELETE FROM employee_name_keys WHERE employee_id = $1")
            .bind(employee_id)
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("forget the keys of {employee_id}: {e}"));
    }

    /// When `table`'s statistics were last refreshed by a statement (`ANALYZE`, not
    /// autovacuum), as text; PostgreSQL only.
    pub async fn last_analysed(&self, table: &str) -> Option<String> {
        assert_eq!(
            self.store,
            ProbedStore::Postgres,
            "statistics are PostgreSQL's"
        );
        let statement = "SELECT last_analyze::text FROM pg_stat_user_tables \
                         WHERE schemaname = current_schema() AND relname = $1";
        sqlx::query_scalar(statement)
            .bind(table)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"))
    }

    /// How every search key is filed: employee, key, stem, sort surname, sort given; in that
    /// order.
    pub async fn key_filings(&self) -> Vec<(i64, String, String, String, String)> {
        let statement = "SELECT employee_id, key, stem, sort_surname, sort_given \
                         FROM employee_name_keys ORDER BY employee_id, key";
        sqlx::query(statement)
            .fetch_all(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"))
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
            .collect()
    }

    /// Files every search key again by migration 0023's own statement, as an installation that
    /// stored them before it: their stems and sort columns emptied first.
    pub async fn refile_keys_by_migration_0023(&self) {
        let migration = match self.store {
            ProbedStore::Sqlite => {
                include_str!("../../store/migrations/sqlite/0023_name_keys_by_stem.sql")
            }
            ProbedStore::Postgres => {
                include_str!("../../store/migrations/postgres/0023_name_keys_by_stem.sql")
            }
        };
        let start = migration
            .find("UPDATE employee_name_keys")
            .expect("migration 0023 files the keys by an UPDATE");
        let update = &migration[start..start + migration[start..].find(';').unwrap()];
        for statement in [
            "UPDATE employee_name_keys SET stem = '', sort_surname = '', sort_given = ''",
            update,
        ] {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&self.pool)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    }

    /// Makes the employee's keys look as a server older than migration 0023 writes them: no
    /// stem, no sort columns.
    pub async fn forget_key_stems(&self, employee_id: i64) {
        sqlx::query(
            "UPDATE employee_name_keys SET stem = '', sort_surname = '', sort_given = '' \
             WHERE employee_id = $1",
        )
        .bind(employee_id)
        .execute(&self.pool)
        .await
        .unwrap_or_else(|e| panic!("forget the stems of {employee_id}: {e}"));
    }

    /// Stores (already sealed) key material for the application, as the CA's issuance would.
    pub async fn put_key_material(&self, application_id: i64, sealed_key: &[u8]) {
        // `Any` binds no date types: the database gives the time.
        sqlx::query(
            "INSERT INTO key_material (application_id, encrypted_key, created_at) \
             VALUES ($1, $2, CURRENT_TIMESTAMP)",
        )
        .bind(application_id)
        .bind(sealed_key.to_vec())
        .execute(&self.pool)
        .await
        .unwrap_or_else(|e| panic!("store key material for {application_id}: {e}"));
    }

    /// The sealed key stored for the application; panics when there is none.
    pub async fn sealed_key(&self, application_id: i64) -> Vec<u8> {
        sqlx::query_scalar("SELECT encrypted_key FROM key_material WHERE application_id = $1")
            .bind(application_id)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("read the sealed key of {application_id}: {e}"))
    }

    /// The digest kept for the application's pending email code; panics when there is none.
    pub async fn email_code_digest(&self, application_id: i64) -> String {
        sqlx::query_scalar("SELECT code_digest FROM email_otp_codes WHERE application_id = $1")
            .bind(application_id)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("read the email code of {application_id}: {e}"))
    }

    /// `(kind, application_id)` of every row of the jobs table, in the order they were queued.
    pub async fn jobs(&self) -> Vec<(String, Option<i64>)> {
        sqlx::query_as("SELECT kind, application_id FROM jobs ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("read the jobs table: {e}"))
    }

    /// PostgreSQL: every row of every table of schema `public`, each as PostgreSQL writes a row
    /// as text (`(1,"\\x0a0b…",…)`: `bytea` as `\x` and lower-case hex), with its table's name.
    /// Values that PostgreSQL compressed or moved out of line (TOAST) are read back whole, which a
    /// scan of the files would not see. Panics on SQLite, whose file a test reads instead.
    pub async fn every_row_as_text(&self) -> Vec<(String, String)> {
        assert_eq!(
            self.store,
            ProbedStore::Postgres,
            "every_row_as_text reads PostgreSQL; on SQLite, read the database file"
        );
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap_or_else(|e| panic!("list the tables: {e}"));
        assert!(!tables.is_empty(), "the schema public has tables");
        let mut rows = Vec::new();
        for table in tables {
            // A name the server just listed, quoted as an identifier.
            let quoted = format!("\"{}\"", table.replace('"', "\"\""));
            let texts = sqlx::query(AssertSqlSafe(format!(
                "SELECT t::text AS row FROM {quoted} t"
            )))
            .fetch_all(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("read the rows of {table}: {e}"));
            for text in texts {
                let text: String = text
                    .try_get("row")
                    .unwrap_or_else(|e| panic!("a row of {table} as text: {e}"));
                rows.push((table.clone(), text));
            }
        }
        rows
    }
}
