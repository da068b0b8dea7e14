//! Which store the suite runs on, and the database each test gets.
//!
//! `CERTDESK_TEST_STORE=sqlite` (the default) gives each test a fresh SQLite file in a temporary
//! directory. `CERTDESK_TEST_STORE=postgres` gives each test its own PostgreSQL database, created on
//! the server that `CERTDESK_TEST_POSTGRES` names (an administrator's connection that may
//! `CREATE DATABASE`; default `postgres://postgres@127.0.0.1:5432/test`) and dropped when the test
//! ends, passed or failed. A PostgreSQL run against a server that does not answer fails loudly: it
//! never turns into a SQLite run or a silent skip.

pub use certdesk_testkit::PgTestDatabase;
use tempfile::TempDir;

pub const STORE_VAR: &str = "CERTDESK_TEST_STORE";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store chosen by `CERTDESK_TEST_STORE`.
pub fn backend() -> Backend {
    match std::env::var(STORE_VAR) {
        Err(std::env::VarError::NotPresent) => Backend::Sqlite,
        Ok(value) => match value.trim().to_ascii_lowercase().as_str() {
            "" | "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" | "pg" => Backend::Postgres,
            other => panic!("{STORE_VAR}={other:?}: expected `sqlite` (the default) or `postgres`"),
        },
        Err(e) => panic!("{STORE_VAR} is not valid text: {e}"),
    }
}

/// The database of one test.
pub enum TestDatabase {
    Sqlite { url: String, _dir: TempDir },
    Postgres(PgTestDatabase),
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        match backend() {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("certdesk.db").display());
                TestDatabase::Sqlite { url, _dir: dir }
            }
            Backend::Postgres => TestDatabase::Postgres(PgTestDatabase::create().await),
        }
    }

    /// The URL `certdesk_store::connect` opens.
    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } => url,
            TestDatabase::Postgres(pg) => pg.url(),
        }
    }

    pub fn postgres(&self) -> Option<&PgTestDatabase> {
        match self {
            TestDatabase::Postgres(pg) => Some(pg),
            TestDatabase::Sqlite { .. } => None,
        }
    }
}
