//! Test support shared by certdesk's test suites.
//!
//! [`PgTestDatabase`] gives a test its own PostgreSQL database, created on the server that
//! `CERTDESK_TEST_POSTGRES` names (an administrator's connection that may `CREATE DATABASE`;
//! default `postgres://postgres@127.0.0.1:5432/test`) and dropped when the value goes, whether the
//! test passed or failed. A server that does not answer fails the test loudly: the PostgreSQL
//! suites are never skipped in silence.
//!
//! [`StoreProbe`] reads (and plants) in a test's database what the store offers no method for.
//!
//! [`pki`] checks what the CA issues with `openssl` and pkilint; [`pyhanko`] runs pyHanko as an
//! outside client of the signing APIs, and [`tsa`] runs a time-stamping authority on pyHanko.

pub mod pdf;
pub mod pki;
pub mod probe;
pub mod pyhanko;
pub mod tsa;

pub use probe::{ProbedStore, StoreProbe};

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

// Dynamic SQL here only ever names databases this file made up: `certdesk_t_` and digits.
use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub const POSTGRES_VAR: &str = "CERTDESK_TEST_POSTGRES";
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Every database this crate creates starts with this, then `<pid>_<counter>_<random>`.
const PREFIX: &str = "certdesk_t_";

/// The administrator's connection URL of the PostgreSQL server.
pub fn admin_url() -> String {
    std::env::var(POSTGRES_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES.to_owned())
}

/// A PostgreSQL database that exists as long as this value: dropping it drops the database
/// (`WITH (FORCE)`, so the test server's open connections do not keep it alive).
pub struct PgTestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

static NEXT_DATABASE: AtomicU32 = AtomicU32::new(1);
static LEFTOVERS_REMOVED: AtomicBool = AtomicBool::new(false);

impl PgTestDatabase {
    /// Creates a database of its own on the server of [`admin_url`]; panics, saying why, when the
    /// server cannot be reached or the role may not create databases.
    pub async fn create() -> PgTestDatabase {
        let admin_url = admin_url();
        let mut admin = admin_connection(&admin_url).await;
        if !LEFTOVERS_REMOVED.swap(true, Ordering::SeqCst) {
            remove_leftovers(&mut admin).await;
        }
        let name = format!(
            "{PREFIX}{}_{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed),
            random_suffix()
        );
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot create the test database {name} on {} ({e}): {POSTGRES_VAR} must name \
                     a role that may CREATE DATABASE",
                    redacted(&admin_url)
                )
            });
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        PgTestDatabase {
            admin_url,
            name,
            url,
        }
    }

    /// The URL that opens this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL that opens this database on another server that holds it too (a replica of
    /// this one: `server_url` names the replica, with any database).
    pub fn url_on(&self, server_url: &str) -> String {
        with_database(server_url, &self.name)
    }

    /// A new administrator's connection to the server (not to this database).
    pub async fn admin(&self) -> PgConnection {
        admin_connection(&self.admin_url).await
    }

    /// Makes the database refuse new connections and ends every session on it, as if the
    /// database went away under the running server.
    pub async fn cut_connections(&self) {
        let mut admin = self.admin().await;
        sqlx::query(AssertSqlSafe(format!(
            "ALTER DATABASE \"{}\" WITH ALLOW_CONNECTIONS false",
            self.name
        )))
        .execute(&mut admin)
        .await
        .expect("refuse connections to the test database");
        let _ = admin.close().await;
        self.terminate_sessions().await;
    }

    /// Ends every session on the database (as a server restart or a failover does) and lets
    /// new ones in at once.
    pub async fn terminate_sessions(&self) {
        let mut admin = self.admin().await;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .execute(&mut admin)
        .await
        .expect("terminate the test database's sessions");
        let _ = admin.close().await;
    }

    /// Lets connections in again.
    pub async fn restore_connections(&self) {
        let mut admin = self.admin().await;
        sqlx::query(AssertSqlSafe(format!(
            "ALTER DATABASE \"{}\" WITH ALLOW_CONNECTIONS true",
            self.name
        )))
        .execute(&mut admin)
        .await
        .expect("allow connections to the test database again");
        let _ = admin.close().await;
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: drop the database from
        // a thread with its own small runtime, and wait for it.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let connect = PgConnection::connect(&admin_url);
                let mut admin = tokio::time::timeout(Duration::from_secs(10), connect)
                    .await
                    .map_err(|_| "connecting timed out".to_owned())?
                    .map_err(|e| e.to_string())?;
                drop_database(&mut admin, &name).await?;
                let _ = admin.close().await;
                Ok::<(), String>(())
            })
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!(
                "warning: the thread dropping test database {} panicked",
                self.name
            ),
        }
    }
}

async fn drop_database(admin: &mut PgConnection, name: &str) -> Result<(), String> {
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(admin)
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// Connects to the server as its administrator, or panics saying clearly that the PostgreSQL
/// suite was asked for and cannot run.
async fn admin_connection(admin_url: &str) -> PgConnection {
    let failure = |why: String| -> ! {
        panic!(
            "\n\nThe PostgreSQL tests were asked for, but the server at {} cannot be reached: {why}\n\
             Start it, or set {POSTGRES_VAR} to a server where this role may CREATE DATABASE.\n",
            redacted(admin_url)
        )
    };
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(admin_url)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => failure(e.to_string()),
        Err(_) => failure("no answer within 10 s".to_owned()),
    }
}

/// Drops the databases earlier runs left behind when they were killed (their process is gone).
async fn remove_leftovers(admin: &mut PgConnection) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let names: Vec<String> =
        match sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(PREFIX)
            .fetch_all(&mut *admin)
            .await
        {
            Ok(names) => names,
            Err(_) => return,
        };
    for name in names {
        let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
        if pid.parse::<u32>().is_ok() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = drop_database(admin, &name).await;
        }
    }
}

/// Eight hex digits that differ between runs.
fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:08x}", hasher.finish() as u32)
}

/// `url` with its database replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    match authority.rsplit_once('@') {
        Some((user_info, _)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or("");
            url.replacen(user_info, &format!("{user}:***"), 1)
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[test]
fn database_urls_are_derived_from_the_admin_url() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/test?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
    assert_eq!(
        redacted("postgres://u:secret@h/test"),
        "postgres://u:***@h/test"
    );
    assert_eq!(redacted("postgres://u@h/test"), "postgres://u@h/test");
}
