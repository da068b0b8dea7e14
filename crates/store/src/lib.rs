//! Storage of certdesk.
//!
//! The [`Store`] trait is what the rest of the program sees; [`sqlite::SqliteStore`] is the
//! embedded implementation. The PostgreSQL implementation will be a second `impl Store`.
//!
//! **How two backends are served.** sqlx's `query!` macros check SQL against one database at
//! build time, so they cannot serve two backends from one source. certdesk uses sqlx's runtime
//! API (`sqlx::query`, `QueryBuilder`) instead, with one query module per backend
//! (`sqlite/`, later `postgres/`) and migrations kept per backend under the same names
//! (`migrations/sqlite/`, `migrations/postgres/`). The rules never live in SQL: each module only
//! stores the [`Transition`]s that `certdesk_domain` decided, guarded by a conditional update on
//! the expected state and version, so both backends give a race exactly one winner. The
//! integration suite is written against the trait, so it runs unchanged on every backend.

pub mod credentials;
pub mod mail;
pub mod models;
pub mod pki;
pub mod portal;
pub mod postgres;
mod rows;
pub mod sqlite;
pub mod worker;
pub mod workflow;

use async_trait::async_trait;
use certdesk_domain::notification::Email;
use certdesk_domain::otp::SigningCredentials;
use certdesk_domain::{HistoryEntry, Transition};
use chrono::{DateTime, Utc};

pub use models::*;

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
    Duplicate(&'static str),
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
}

/// Opens the store a database URL names: `sqlite://FILE` (created if missing) or
/// `postgres://…` (the database must exist; its schema is created if missing).
pub async fn connect(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    connect_with(url, StoreOptions::default()).await
}

/// As [`connect`], with options.
pub async fn connect_with(
    url: &str,
    options: StoreOptions,
) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(
            sqlite::SqliteStore::open_with(url, options).await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(std::sync::Arc::new(
            postgres::PostgresStore::open_with(url, options).await?,
        ))
    } else {
        Err(StoreError::Configuration(format!(
            "unknown database URL {url:?}: expected sqlite://FILE or postgres://…"
        )))
    }
}

/// The organisations whose data a caller may see. Every query that touches employees or
/// applications takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The organisations of a ΔΨΠ.
    Organisations(Vec<i64>),
    /// certdesk itself (background jobs, the CLI run by the operator).
    Everything,
}

impl Scope {
    pub fn allows(&self, organisation_id: i64) -> bool {
        match self {
            Scope::Organisations(ids) => ids.contains(&organisation_id),
            Scope::Everything => true,
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Organisations and administrators (the operator's commands).
    async fn create_organisation(
        &self,
        code: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Organisation>;
    async fn organisation_by_code(&self, code: &str) -> StoreResult<Option<Organisation>>;
    async fn create_administrator(
        &self,
        admin: &NewAdministrator,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    async fn administrator_by_username(
        &self,
        username: &str,
    ) -> StoreResult<Option<AdministratorRecord>>;
    async fn set_administrator_password(&self, id: i64, password_hash: &str) -> StoreResult<()>;
    async fn add_administrator_to_organisation(
        &self,
        administrator_id: i64,
        organisation_id: i64,
    ) -> StoreResult<()>;

    // Failed logins (rate limiting).
    async fn record_login_failure(&self, username: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn login_failures_since(&self, username: &str, since: DateTime<Utc>) -> StoreResult<u64>;
    async fn clear_login_failures(&self, username: &str) -> StoreResult<()>;

    // Sessions and API tokens (stored hashed).
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRecord>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    // Employees.
    /// Inserts employees all or nothing (the CSV import and the demo).
    async fn insert_employees(
        &self,
        organisation_id: i64,
        employees: &[NewEmployee],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<i64>>;
    async fn search_employees(
        &self,
        scope: &Scope,
        query: &EmployeeQuery,
    ) -> StoreResult<SearchPage>;
    async fn employee(&self, scope: &Scope, id: i64) -> StoreResult<Option<EmployeeRecord>>;
    async fn employee_by_afm(
        &self,
        scope: &Scope,
        afm: &str,
    ) -> StoreResult<Option<EmployeeRecord>>;
    async fn units(&self, scope: &Scope) -> StoreResult<Vec<String>>;

    // Applications.
    /// Creates an application from the domain's `start` transition, with its first history
    /// entry and effects, in one transaction. Fails with `OpenApplicationExists`.
    async fn create_application(
        &self,
        employee_id: i64,
        contact: &ApplicationContact,
        start: &Transition,
    ) -> StoreResult<i64>;
    async fn application(&self, scope: &Scope, id: i64) -> StoreResult<Option<ApplicationRecord>>;
    /// Stores a transition in one transaction: the conditional update on the expected state and
    /// version, one history entry chained to the last, and the effects. `Conflict` when the
    /// application changed since it was read; nothing is written then.
    async fn commit_transition(&self, transition: &Transition) -> StoreResult<()>;
    /// Stores several transitions in one transaction (group commit: one durable write for all).
    /// Each is guarded as in [`Store::commit_transition`]; one that lost its race is skipped and
    /// reported `false`, the others are stored. Any other error stores none of them.
    async fn commit_transitions(&self, transitions: &[Transition]) -> StoreResult<Vec<bool>>;
    async fn history(&self, application_id: i64) -> StoreResult<Vec<HistoryEntry>>;
    async fn applications_of_employee(
        &self,
        employee_id: i64,
    ) -> StoreResult<Vec<ApplicationRecord>>;
    /// All application ids, for verifying every hash chain.
    async fn application_ids(&self) -> StoreResult<Vec<i64>>;

    // Background jobs, taken by any server of the installation.
    /// Queues a job; at most one job of a kind waits per application (a second is ignored).
    async fn enqueue_job(
        &self,
        kind: &str,
        application_id: Option<i64>,
        run_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Takes the next due job of one of `kinds` that no live worker holds, and leases it until
    /// `lease_until`: a job whose worker dies is taken again once its lease runs out.
    async fn claim_job(
        &self,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Job>>;
    /// As [`Store::claim_job`], up to `limit` jobs at once.
    async fn claim_jobs(
        &self,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Job>>;
    async fn complete_job(&self, id: i64) -> StoreResult<()>;
    /// Gives a job back, to be tried again at `run_at`.
    async fn release_job(&self, id: i64, run_at: DateTime<Utc>) -> StoreResult<()>;
    /// Pending applications that have not changed since `updated_before`, oldest first.
    async fn stale_applications(
        &self,
        updated_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<i64>>;

    // Effects, as seen from outside (tests, the operator, later the workers).
    async fn reserved_username(&self, application_id: i64) -> StoreResult<Option<String>>;
    async fn pending_jobs(&self, application_id: i64) -> StoreResult<Vec<Job>>;
    async fn outbox(&self, application_id: i64) -> StoreResult<Vec<OutboxMessage>>;

    // Delivery of the outbox (see `worker::deliver_outbox`), by any server of the installation.
    /// Takes up to `limit` unsent messages that are due at `now` and that no live worker holds,
    /// oldest due first, and leases them until `lease_until`: two runs never hold one message,
    /// and a message whose worker dies is taken again once its lease runs out.
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// The SMTP server accepted the message: it is never sent again.
    async fn mark_sent(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// A delivery failed: one more attempt, the lease is given back, and the message is due
    /// again at `next_attempt_at`. `error` is kept for the operator; it must hold no secret.
    async fn mark_failed(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<()>;
    /// Stores (already encrypted) key material for an application.
    async fn put_key_material(
        &self,
        application_id: i64,
        encrypted_key: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn has_key_material(&self, application_id: i64) -> StoreResult<bool>;

    /// Marks every unsent email of an organisation's applications as sent without sending it:
    /// the demo's made-up past must not be mailed to made-up addresses.
    async fn settle_outbox_of_organisation(
        &self,
        organisation_id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Drops the queued jobs of a kind for an organisation's applications (the demo keeps its
    /// applications awaiting issuance where they are).
    async fn drop_jobs_of_organisation(&self, organisation_id: i64, kind: &str)
    -> StoreResult<u64>;

    // The certificate authority (see `pki`).
    /// Stores the CA; there is one per installation (`Duplicate("authority")` for a second).
    async fn save_authority(&self, authority: &AuthorityRecord) -> StoreResult<()>;
    async fn authority(&self) -> StoreResult<Option<AuthorityRecord>>;
    async fn certificate(&self, application_id: i64) -> StoreResult<Option<CertificateRecord>>;
    async fn certificate_by_serial(&self, serial: &str) -> StoreResult<Option<CertificateRecord>>;
    /// Every revocation (for the CRL), oldest first.
    async fn revocations(&self) -> StoreResult<Vec<Revocation>>;
    /// Issued, unrevoked certificates expiring by `until` whose holder was not told yet.
    async fn certificates_to_warn(
        &self,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CertificateRecord>>;
    /// Writes the expiry notice of an application's certificate to the outbox, once (`false`
    /// when it was written already, by this server or another).
    async fn send_expiry_notice(
        &self,
        application_id: i64,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Issued applications whose certificate is past its notAfter.
    async fn expired_certificates(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<i64>>;

    // The beneficiary's portal (see `portal`).
    /// Keeps the (hashed) OAuth2 state sent to the tax registry until `expires_at`.
    async fn create_portal_login_state(
        &self,
        state_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Uses up a login state: `true` once for a state that exists and has not expired, `false`
    /// for a forged, replayed or expired one.
    async fn take_portal_login_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn create_portal_session(&self, session: &NewPortalSession) -> StoreResult<()>;
    async fn portal_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<PortalSessionRecord>>;
    async fn set_portal_enrolment(
        &self,
        token_hash: &str,
        enrolment: Option<&str>,
    ) -> StoreResult<()>;
    async fn delete_portal_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Deletes expired portal sessions, portal login states and console sessions and tokens.
    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// The application the portal shows to the person with this ΑΦΜ: their latest (an open one
    /// is always the latest, since a new one needs the previous one closed).
    async fn beneficiary_application_id(&self, afm: &str) -> StoreResult<Option<i64>>;
    async fn signing_credentials(
        &self,
        application_id: i64,
    ) -> StoreResult<Option<SigningCredentials>>;
    /// Marks the TOTP code of `step` used: `false` when that step or a later one was used
    /// already (a code counts once, even when two requests race with it).
    async fn use_totp_step(&self, application_id: i64, step: i64) -> StoreResult<bool>;
    /// Keeps a new email code's digest (replacing an earlier code) and writes the email that
    /// carries it to the outbox, in one transaction.
    async fn send_email_code(
        &self,
        application_id: i64,
        code_digest: &str,
        expires_at: DateTime<Utc>,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Uses up the email code with this digest: `true` once, if it is the latest code sent and
    /// has not expired.
    async fn take_email_code(
        &self,
        application_id: i64,
        code_digest: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

#[cfg(test)]
mod tests {
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
}
