//! The store's interface, one small trait per role. Each backend implements all of them, and
//! [`Store`] is their sum; a use case needs only the roles it names.

use async_trait::async_trait;
use certdesk_domain::identity::Mismatch;
use certdesk_domain::job::JobKind;
use certdesk_domain::notification::Email;
use certdesk_domain::otp::{SigningCredentials, StoredSecret};
use certdesk_domain::subject::VerifiedNames;
use certdesk_domain::throttle::ThrottleKey;
use certdesk_domain::validation::Afm;
use certdesk_domain::{HistoryEntry, SecurityEvent, Transition};
use chrono::{DateTime, Utc};

use crate::models::*;
use crate::{Scope, StoreError, StoreResult};

/// Everything the store does. Implemented by every type that plays every role.
pub trait Store:
    Accounts
    + AccountSafety
    + Employees
    + Applications
    + Jobs
    + Outbox
    + Sessions
    + Pki
    + Credentials
    + SecurityLog
    + EmailProofs
    + Signatures
    + CscSessions
    + Gauges
{
}

impl<T> Store for T where
    T: Accounts
        + AccountSafety
        + Employees
        + Applications
        + Jobs
        + Outbox
        + Sessions
        + Pki
        + Credentials
        + SecurityLog
        + EmailProofs
        + Signatures
        + CscSessions
        + Gauges
{
}

/// Organisations and the ΔΨΠ accounts that serve them (the operator's commands).
#[async_trait]
pub trait Accounts: Send + Sync + 'static {
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

    // ---- the operator's (issue 10) ----------------------------------------------------------

    /// Creates an account and writes `welcome` (if any) to the outbox for its username, in one
    /// transaction.
    async fn create_account(
        &self,
        account: &NewAdministrator,
        welcome: Option<&Email>,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// Every organisation, by code.
    async fn organisations(&self) -> StoreResult<Vec<Organisation>>;
    /// Every account, by username.
    async fn accounts(&self) -> StoreResult<Vec<AccountSummary>>;
    async fn administrator(&self, id: i64) -> StoreResult<Option<AdministratorRecord>>;
    async fn remove_administrator_from_organisation(
        &self,
        administrator_id: i64,
        organisation_id: i64,
    ) -> StoreResult<()>;
    async fn set_administrator_disabled(&self, id: i64, disabled: bool) -> StoreResult<()>;
    /// Sets a temporary password that must be changed at the next login.
    async fn reset_administrator_password(&self, id: i64, password_hash: &str) -> StoreResult<()>;
    /// Forgets the account's second factor (its owner enrols again).
    async fn clear_administrator_second_factor(&self, id: i64) -> StoreResult<()>;
}

/// The security log: append-only, apart from the applications' histories.
#[async_trait]
pub trait SecurityLog: Send + Sync + 'static {
    async fn record_security_event(
        &self,
        event: &SecurityEvent,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Events at or after `since` with an id above `after_id`, oldest first (an export reads
    /// the log in pages of `limit`).
    async fn security_events(
        &self,
        since: Option<DateTime<Utc>>,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<SecurityEventRecord>>;
    /// The latest `limit` events, newest first.
    async fn latest_security_events(&self, limit: i64) -> StoreResult<Vec<SecurityEventRecord>>;
}

/// What keeps a ΔΨΠ's account safe (SPEC §9): the change of the first password, the TOTP
/// second factor with its recovery codes, and the sessions' last use and ending.
#[async_trait]
pub trait AccountSafety: Send + Sync + 'static {
    /// The holder's new password; the account no longer has to change it.
    async fn change_administrator_password(&self, id: i64, password_hash: &str) -> StoreResult<()>;
    async fn set_second_factor_required(&self, id: i64, required: bool) -> StoreResult<()>;
    /// The TOTP secret shown to the session for enrolment (or none).
    async fn set_pending_totp_secret(
        &self,
        token_hash: &str,
        secret: Option<&StoredSecret>,
    ) -> StoreResult<()>;
    /// Enrols a TOTP app (its first code's step already used) and replaces the recovery codes
    /// with `recovery_hashes`, together.
    async fn enrol_totp(
        &self,
        id: i64,
        secret: &StoredSecret,
        last_step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<()>;
    /// Claims `step` of the account's TOTP app: `true` once, if no later step was used.
    async fn use_administrator_totp_step(&self, id: i64, step: i64) -> StoreResult<bool>;
    /// Uses up a recovery code: `true` once for a code the account has.
    async fn use_recovery_code(&self, id: i64, code_hash: &str) -> StoreResult<bool>;
    /// Notes a use of the session (see `certdesk_domain::session`).
    async fn touch_session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;
    /// Ends every console session and API token of the account but `except`; answers how many.
    async fn delete_sessions_of(
        &self,
        administrator_id: i64,
        except: Option<&str>,
    ) -> StoreResult<u64>;
}

/// Employee records and finding them (SPEC §4, §5).
#[async_trait]
pub trait Employees: Send + Sync + 'static {
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
    /// The employees of `ids` that exist in `scope`, in no particular order, in one read.
    async fn employees_of_ids(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> StoreResult<Vec<EmployeeRecord>>;
    async fn employee_by_afm(
        &self,
        scope: &Scope,
        afm: &Afm,
    ) -> StoreResult<Option<EmployeeRecord>>;
    async fn units(&self, scope: &Scope) -> StoreResult<Vec<String>>;
    /// Whether any employee holds (or has reserved) this username, in the whole installation.
    async fn username_taken(&self, username: &str) -> StoreResult<bool>;
    /// Of `afms`, those the organisation has already (the CSV import checks before it writes).
    async fn registered_afms(
        &self,
        organisation_id: i64,
        afms: &[String],
    ) -> StoreResult<Vec<String>>;
    /// Opens an import of `rows` employees into the organisation: every batch written in one
    /// transaction, which only [`EmployeeImport::commit`] keeps (dropping the import rolls it
    /// back). `rows` lets a backend choose how to write them (see `sql/employee_import.rs`).
    async fn begin_import(
        &self,
        organisation_id: i64,
        rows: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<Box<dyn EmployeeImport>>;
}

/// An import in progress (see [`Employees::begin_import`]): batches written in bulk, with their
/// search keys, in one transaction.
#[async_trait]
pub trait EmployeeImport: Send {
    /// Writes a batch: an employee whose ΑΦΜ the organisation has already is updated when
    /// `update`, and fails the batch with `Duplicate(Afm)` otherwise; the others are inserted.
    async fn write(
        &mut self,
        employees: &[NewEmployee],
        update: bool,
    ) -> StoreResult<ImportedBatch>;
    /// Keeps everything written, once it is durable.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// What one batch of an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportedBatch {
    pub inserted: u64,
    pub updated: u64,
}

/// Applications, their transitions (with the effects, in one transaction) and their histories.
#[async_trait]
pub trait Applications: Send + Sync + 'static {
    /// Creates an application from the domain's `start` transition, with its first history
    /// entry and effects, in one transaction. Fails with `OpenApplicationExists`.
    async fn create_application(
        &self,
        employee_id: i64,
        contact: &ApplicationContact,
        start: &Transition,
    ) -> StoreResult<i64>;
    async fn application(&self, scope: &Scope, id: i64) -> StoreResult<Option<ApplicationRecord>>;
    /// The applications of `ids` that exist in `scope`, in no particular order: one read for a
    /// batch (the issuance's) instead of one per application.
    async fn applications_of_ids(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> StoreResult<Vec<ApplicationRecord>>;
    /// [`Applications::subject_names`] of each of `ids` that has them, in one read.
    async fn subject_names_of_ids(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> StoreResult<Vec<(i64, VerifiedNames)>>;
    /// The names the registries confirmed for the certificate of application `id` (kept at the
    /// data check); `None` before it, or for an application confirmed before they were kept.
    async fn subject_names(&self, scope: &Scope, id: i64) -> StoreResult<Option<VerifiedNames>>;
    /// Keeps the names in which the HR record disagreed with the tax registry at the data check
    /// (empty: it agrees), for the ΔΨΠ's card.
    async fn set_data_disagreement(&self, id: i64, mismatches: &[Mismatch]) -> StoreResult<()>;
    async fn data_disagreement(&self, scope: &Scope, id: i64) -> StoreResult<Vec<Mismatch>>;
    /// The latest application of the person with this ΑΦΜ (an open one is always the latest,
    /// since a new one needs the previous one closed), for the beneficiary's portal.
    async fn latest_application_of(&self, afm: &Afm) -> StoreResult<Option<ApplicationRecord>>;
    /// Stores several transitions in one transaction (group commit: one durable write for all).
    /// Each is guarded by a conditional update on its expected state and version; one that lost
    /// its race is skipped and reported `false`, and the others are stored with their history
    /// entry and effects. Any other error stores none of them.
    async fn commit_transitions(&self, transitions: &[Transition]) -> StoreResult<Vec<bool>>;
    /// Stores one transition as [`Applications::commit_transitions`] does; `Conflict` when the
    /// application changed since it was read (nothing is written then).
    async fn commit_transition(&self, transition: &Transition) -> StoreResult<()> {
        match self
            .commit_transitions(std::slice::from_ref(transition))
            .await?[..]
        {
            [true] => Ok(()),
            _ => Err(StoreError::Conflict),
        }
    }
    /// Stores one transition as [`Applications::commit_transition`] does, and gives the
    /// application and its history as that transaction left them (read within it: for the
    /// caller's answer, without two more reads).
    async fn commit_transition_and_read(
        &self,
        transition: &Transition,
    ) -> StoreResult<(ApplicationRecord, Vec<HistoryEntry>)>;
    /// The history of an application within `scope` (empty when it is outside).
    async fn history(&self, scope: &Scope, application_id: i64) -> StoreResult<Vec<HistoryEntry>>;
    async fn applications_of_employee(
        &self,
        scope: &Scope,
        employee_id: i64,
    ) -> StoreResult<Vec<ApplicationRecord>>;
    /// All application ids, for verifying every hash chain.
    async fn application_ids(&self) -> StoreResult<Vec<i64>>;
    /// Pending applications that have not changed since `updated_before`, oldest first.
    async fn stale_applications(
        &self,
        updated_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<i64>>;
    async fn reserved_username(&self, application_id: i64) -> StoreResult<Option<String>>;
}

/// Background jobs, taken by any server of the installation.
#[async_trait]
pub trait Jobs: Send + Sync + 'static {
    /// Queues a job; at most one job of a kind waits per application (a second is ignored).
    async fn enqueue_job(
        &self,
        kind: JobKind,
        application_id: Option<i64>,
        run_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Takes up to `limit` due jobs of `kinds` that no live worker holds, oldest due first, and
    /// leases them until `lease_until`: two workers never hold one job, and a job whose worker
    /// dies is taken again once its lease runs out.
    async fn claim_jobs(
        &self,
        kinds: &[JobKind],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Job>>;
    /// As [`Jobs::claim_jobs`], one job.
    async fn claim_job(
        &self,
        kinds: &[JobKind],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        Ok(self
            .claim_jobs(kinds, now, lease_until, 1)
            .await?
            .into_iter()
            .next())
    }
    async fn complete_job(&self, id: i64) -> StoreResult<()>;
    /// Gives a job back, to be tried again at `run_at`.
    async fn release_job(&self, id: i64, run_at: DateTime<Utc>) -> StoreResult<()>;
    /// The jobs waiting for an application.
    async fn pending_jobs(&self, application_id: i64) -> StoreResult<Vec<Job>>;
    /// Drops the queued jobs of a kind for an organisation's applications (the demo keeps its
    /// applications awaiting issuance where they are).
    async fn drop_jobs_of_organisation(
        &self,
        organisation_id: i64,
        kind: JobKind,
    ) -> StoreResult<u64>;
}

/// The outbox of emails, written in the transactions of the changes they tell of.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// The emails of an application, oldest first.
    async fn outbox(&self, application_id: i64) -> StoreResult<Vec<OutboxMessage>>;
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
    /// Marks every unsent email of an organisation's applications as sent without sending it:
    /// the demo's made-up past must not be mailed to made-up addresses.
    async fn settle_outbox_of_organisation(
        &self,
        organisation_id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// What `/metrics` reads from the database when it is scraped: counts over pending work only
/// (the jobs table holds the jobs not yet done; the unsent emails are found through an index of
/// their own), and the pools' use, which costs no query.
#[async_trait]
pub trait Gauges: Send + Sync + 'static {
    /// The jobs of each kind that has any, as they stand at `now`.
    async fn job_counts(&self, now: DateTime<Utc>) -> StoreResult<Vec<JobCount>>;
    /// How many emails of the outbox are not sent yet.
    async fn unsent_emails(&self) -> StoreResult<i64>;
    /// The connection pools and their use.
    fn pools(&self) -> Vec<PoolUse>;
}

/// Console sessions and API tokens, the portal's login states and sessions (all stored
/// hashed), and the counters of failed attempts that throttling reads.
#[async_trait]
pub trait Sessions: Send + Sync + 'static {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRecord>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

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
    /// Deletes expired portal sessions, portal login states, console sessions and tokens, and the
    /// CSC API's tokens and SADs.
    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    /// Takes one attempt under `key` before it is made, in one atomic statement, and answers
    /// how many the current window holds with it (1 for the first). A window opens at the first
    /// attempt and lasts the key's policy; once it has passed, the count starts again.
    async fn take_attempt(&self, key: &ThrottleKey, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Gives back an attempt taken by [`Sessions::take_attempt`] that turned out not to count
    /// (a successful login, for the counter of its address).
    async fn give_back_attempt(&self, key: &ThrottleKey) -> StoreResult<()>;
    /// Forgets the attempts under `key` (after a success).
    async fn clear_attempts(&self, key: &ThrottleKey) -> StoreResult<()>;
    /// Deletes the counters whose window opened before `before`; answers how many.
    async fn purge_attempts(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// The certificate authority and the certificates it issued.
#[async_trait]
pub trait Pki: Send + Sync + 'static {
    /// Stores the CA; there is one per installation (`Duplicate(Field::Authority)` for a second).
    async fn save_authority(&self, authority: &AuthorityRecord) -> StoreResult<()>;
    async fn authority(&self) -> StoreResult<Option<AuthorityRecord>>;
    /// Replaces the root's CRL of the stored CA (a newer one, signed by the root).
    async fn save_root_crl(&self, crl: &[u8]) -> StoreResult<()>;
    /// The certificate of an application within `scope`.
    async fn certificate(
        &self,
        scope: &Scope,
        application_id: i64,
    ) -> StoreResult<Option<CertificateRecord>>;
    /// A certificate by its serial (the OCSP responder: public information).
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
}

/// Signing with an issued certificate (issue 11): finding the holder by username, their sealed
/// key, and the signing log.
#[async_trait]
pub trait Signatures: Send + Sync + 'static {
    /// The application whose certificate the username holds (or whose pending application
    /// reserved it).
    async fn application_of_username(&self, username: &str) -> StoreResult<Option<i64>>;
    /// The sealed private key of an application's certificate; gone once revoked or expired.
    async fn sealed_key(&self, application_id: i64) -> StoreResult<Option<Vec<u8>>>;
    /// Appends one entry per digest to the signing log, in one transaction, only while the
    /// application's certificate is unrevoked: `false` (nothing written) once it is revoked.
    async fn record_signatures(&self, signatures: &NewSignatures) -> StoreResult<bool>;
    /// The latest `limit` signatures of an application, newest first.
    async fn signatures_of(
        &self,
        application_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<SignatureRecord>>;
    /// How many signatures an application's certificate made, within `scope`.
    async fn signature_count(&self, scope: &Scope, application_id: i64) -> StoreResult<i64>;
    /// One page of an application's signing log within `scope`, newest first: at most `limit`
    /// entries, older than the entry `before_id` when it is given (the holder's «Ιστορικό
    /// υπογραφών» pages on with the last id it showed).
    async fn signing_log(
        &self,
        scope: &Scope,
        application_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<SignatureRecord>>;
}

/// The CSC API's bearer tokens and SADs (issue 11), kept as digests. A SAD's hashes are claimed
/// atomically, so concurrent `signHash` calls never sign one twice nor more than there are.
#[async_trait]
pub trait CscSessions: Send + Sync + 'static {
    async fn create_csc_token(&self, token: &NewCscToken) -> StoreResult<()>;
    /// The token with this digest, unless it expired.
    async fn csc_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CscTokenRecord>>;
    async fn delete_csc_token(&self, token_hash: &str) -> StoreResult<()>;
    /// Keeps a SAD and its hashes (or its number of documents), in one transaction.
    async fn create_sad(&self, sad: &NewSad) -> StoreResult<()>;
    /// The SAD with this digest given to this application, expired or not, with its hashes in
    /// their order and whether each was signed (or its number of documents and whether a
    /// `signDoc` spent it).
    async fn sad(
        &self,
        sad_hash: &str,
        application_id: i64,
    ) -> StoreResult<Option<certdesk_domain::csc::Sad>>;
    /// Marks `digests` of the SAD signed at `now`, all or none: `true` only when each was still
    /// unsigned and the SAD unexpired.
    async fn claim_sad(
        &self,
        sad_hash: &str,
        application_id: i64,
        digests: &[certdesk_domain::remote_signing::Digest],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Marks a SAD of documents spent at `now`: `true` only when it was unspent and unexpired
    /// (of two `signDoc` calls racing for it, one).
    async fn claim_sad_documents(
        &self,
        sad_hash: &str,
        application_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// What a beneficiary signs with: the signing credentials chosen at identification and the
/// one-time codes of their channel.
#[async_trait]
pub trait Credentials: Send + Sync + 'static {
    /// The signing credentials of an application within `scope`.
    async fn signing_credentials(
        &self,
        scope: &Scope,
        application_id: i64,
    ) -> StoreResult<Option<SigningCredentials>>;
    /// Replaces an application's signing credentials (the demo's beneficiary, whose password
    /// and authenticator are set anew by every `certdesk demo`), dropping any email code.
    async fn replace_signing_credentials(
        &self,
        application_id: i64,
        credentials: &SigningCredentials,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Marks the TOTP code of `step` used: `false` when that step or a later one was used
    /// already (a code counts once, even when two requests race with it).
    async fn use_totp_step(&self, application_id: i64, step: i64) -> StoreResult<bool>;
    /// Replaces the signing password's hash, only if it is still `current_hash` (the one the
    /// holder's current password was verified against): `false` when it changed meanwhile, or
    /// the credentials are gone.
    async fn change_signing_password(
        &self,
        application_id: i64,
        current_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool>;
    /// Remembers a TOTP app's `drift` and uses up the two codes of the resynchronisation (steps
    /// `first_step` and `last_step`): `false` when a step from `first_step` on was used already.
    async fn resynchronise_totp(
        &self,
        application_id: i64,
        first_step: i64,
        last_step: i64,
        drift: i64,
    ) -> StoreResult<bool>;
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

/// What may prove an application's email (the start link's token, a code sent to it), kept as
/// digests. Recording the proof is a transition's effect (`RecordEmailProof`), which uses both up.
#[async_trait]
pub trait EmailProofs: Send + Sync + 'static {
    /// The digests that may still prove the email of an application within `scope`.
    async fn email_proof_secrets(
        &self,
        scope: &Scope,
        application_id: i64,
    ) -> StoreResult<Option<EmailProofSecrets>>;
    /// Keeps a new code's digest (replacing an earlier code) and writes the email that carries
    /// it to the outbox, in one transaction.
    async fn send_email_proof_code(
        &self,
        application_id: i64,
        code_digest: &str,
        expires_at: DateTime<Utc>,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}
