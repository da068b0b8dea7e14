//! Rows as the rest of the program sees them: the domain's types, never bare strings for values
//! that have rules.

use certdesk_domain::certificate::RevocationReason;
use certdesk_domain::email_proof::ProofMethod;
use certdesk_domain::job::JobKind;
use certdesk_domain::otp::StoredSecret;
use certdesk_domain::second_factor::AccountSecurity;
use certdesk_domain::validation::{Afm, Email, IdCard, Mobile, PersonName, Username};
use certdesk_domain::{Application, Role, SecurityEventKind, Status};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// An employee as validated at the edge (HR import, demo, tests).
pub use certdesk_domain::employee::ValidEmployee as NewEmployee;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct NewAdministrator {
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
    pub organisation_ids: Vec<i64>,
    pub role: Role,
    /// A temporary password (made by an operator, or given to `certdesk admin create`) is
    /// changed at the first login.
    pub must_change_password: bool,
    /// A TOTP second factor is required (false only for the demo's accounts).
    pub second_factor_required: bool,
}

#[derive(Debug, Clone)]
pub struct AdministratorRecord {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
    pub organisation_ids: Vec<i64>,
    pub security: AccountSecurity,
    /// The enrolled TOTP app's secret, as kept at rest, and the last step accepted.
    pub totp_secret: Option<StoredSecret>,
    pub totp_last_step: Option<i64>,
    pub role: Role,
    /// A disabled account cannot log in (the operator's «Απενεργοποίηση»).
    pub disabled: bool,
}

/// An account as the operator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub disabled: bool,
}

/// An event of the security log, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEventRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: SecurityEventKind,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub address: Option<String>,
    pub detail: Option<String>,
}

/// How a ΔΨΠ holds a session: a console cookie or an API bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Console,
    Api,
}

impl SessionKind {
    pub fn code(self) -> &'static str {
        match self {
            SessionKind::Console => "console",
            SessionKind::Api => "api",
        }
    }

    pub fn parse(code: &str) -> Option<SessionKind> {
        [SessionKind::Console, SessionKind::Api]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub administrator_id: i64,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub administrator_id: i64,
    pub username: String,
    pub full_name: String,
    pub organisation_ids: Vec<i64>,
    pub role: Role,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    /// When the session was last used, to within `certdesk_domain::session::TOUCH_INTERVAL`.
    pub last_seen_at: DateTime<Utc>,
    /// The account's setup and second factor, as they are now.
    pub security: AccountSecurity,
    /// A TOTP secret (as kept at rest) shown for enrolment and waiting for its first code.
    pub pending_totp_secret: Option<StoredSecret>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmployeeRecord {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub afm: Afm,
    pub surname: PersonName,
    pub given_name: PersonName,
    pub father_name: PersonName,
    pub id_card: Option<IdCard>,
    pub birth_date: Option<NaiveDate>,
    pub email: Option<Email>,
    pub mobile: Option<Mobile>,
    pub unit: String,
    pub position: String,
    pub active: bool,
    pub username: Option<Username>,
    pub current_application_id: Option<i64>,
}

impl EmployeeRecord {
    /// «Όνομα Επώνυμο», as the history and the emails name a person.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.surname)
    }
}

/// Which employees to find (SPEC §4). Names match by prefix of any word, folded; the rest exactly.
#[derive(Debug, Clone, Default)]
pub struct EmployeeQuery {
    /// Folded name tokens (`certdesk_domain::text::query_tokens`); each must prefix a name word.
    pub name_tokens: Vec<String>,
    pub afm: Option<String>,
    pub id_card: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub status: Option<StatusFilter>,
    pub unit: Option<String>,
    /// Only employees whose holder's revocation request is open («Αίτημα ανάκλησης»).
    pub revocation_requested: bool,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl EmployeeQuery {
    /// LIMIT and OFFSET of the requested page (at most 200 rows a page).
    pub fn limit_offset(&self) -> (i64, i64) {
        let per_page = i64::from(self.per_page.clamp(1, 200));
        (per_page, i64::from(self.page.max(1) - 1) * per_page)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    NoApplication,
    Is(Status),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmployeeRow {
    pub id: i64,
    pub afm: Afm,
    pub surname: PersonName,
    pub given_name: PersonName,
    pub father_name: PersonName,
    pub unit: String,
    pub status: Option<Status>,
    /// The holder asked for revocation and the ΔΨΠ has not revoked yet.
    pub revocation_requested: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchPage {
    /// Exact up to `certdesk_domain::paging::EXACT_TOTAL_UP_TO`, then «more than» that.
    pub total: certdesk_domain::paging::Total,
    pub items: Vec<EmployeeRow>,
}

#[derive(Debug, Clone)]
pub struct ApplicationContact {
    pub email: Email,
    pub mobile: Option<Mobile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    pub id: i64,
    pub employee_id: i64,
    pub organisation_id: i64,
    pub status: Status,
    pub version: i64,
    pub email: Email,
    pub mobile: Option<Mobile>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When and how the beneficiary proved control of `email`; `None` while unproven.
    pub email_proof: Option<EmailProofRecord>,
    /// The holder's «Αίτημα ανάκλησης», if they made one (open while the application is issued:
    /// `certdesk_domain::revocation_request::is_open`).
    pub revocation_request: Option<RevocationRequestRecord>,
}

/// A holder's request that their certificate be revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequestRecord {
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

impl ApplicationRecord {
    /// The holder's revocation request while it awaits the ΔΨΠ.
    pub fn open_revocation_request(&self) -> Option<&RevocationRequestRecord> {
        self.revocation_request
            .as_ref()
            .filter(|_| certdesk_domain::revocation_request::is_open(self.status, true))
    }
}

/// A recorded proof of an application's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailProofRecord {
    pub at: DateTime<Utc>,
    pub method: ProofMethod,
}

/// The secrets that may still prove an application's email, as the store keeps them (digests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailProofSecrets {
    pub link_hash: Option<String>,
    pub link_expires_at: Option<DateTime<Utc>>,
    pub code_digest: Option<String>,
    pub code_expires_at: Option<DateTime<Utc>>,
}

impl ApplicationRecord {
    /// What the domain's rules need to see.
    pub fn as_domain(&self) -> Application {
        Application {
            id: self.id,
            employee_id: self.employee_id,
            status: self.status,
            version: self.version,
            updated_at: self.updated_at,
            email_proven: self.email_proof.is_some(),
            revocation_requested: self.revocation_request.is_some(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub application_id: Option<i64>,
    pub run_at: DateTime<Utc>,
    /// How many times a worker has taken it (including the current one, once taken).
    pub attempts: i64,
}

/// The jobs of one kind, as they stand at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobCount {
    pub kind: JobKind,
    /// Queued and held by no live worker: due now, or later (a delayed issuance, a retry).
    pub waiting: i64,
    /// Of the waiting, those given back after a failure, until their retry is due.
    pub failed: i64,
    /// Held by a worker under a lease.
    pub running: i64,
}

/// One connection pool of the store: what it holds, and how many of those are idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// `read`, `write`, or `read_write` when one pool serves both (PostgreSQL).
    pub name: &'static str,
    /// Open connections, idle or in use.
    pub size: u32,
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

/// An email of the outbox, and how its delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    /// Empty for a message written by a version of certdesk without HTML emails.
    pub body_html: String,
    pub created_at: DateTime<Utc>,
    /// When the SMTP server accepted it; `None` while it waits in the outbox.
    pub sent_at: Option<DateTime<Utc>>,
    /// Failed deliveries so far.
    pub attempts: i64,
    /// When a delivery run may (next) try it.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// A beneficiary who logged in to the portal through the tax registry.
#[derive(Debug, Clone)]
pub struct NewPortalSession {
    pub token_hash: String,
    pub afm: Afm,
    /// What the tax registry answered at login (JSON), kept for identification.
    pub identity: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct PortalSessionRecord {
    pub afm: Afm,
    pub identity: String,
    pub csrf_token: String,
    /// A choice of username and signing password waiting for the TOTP app's confirmation (JSON).
    pub enrolment: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// The CA as stored (see `certdesk_ca::SealedAuthority`): certificates in the clear, private keys
/// sealed by the key-encryption key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuthorityRecord {
    pub algorithm: String,
    pub public_url: String,
    pub root_der: Vec<u8>,
    pub issuing_der: Vec<u8>,
    pub sealed_root_key: Vec<u8>,
    pub sealed_issuing_key: Vec<u8>,
    pub kek_fingerprint: String,
    pub created_at: DateTime<Utc>,
    /// The root's latest CRL (DER), about the issuing CA.
    pub root_crl: Option<Vec<u8>>,
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// Upper-case hexadecimal.
    pub serial: String,
    pub application_id: i64,
    pub der: Vec<u8>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<RevocationReason>,
    pub created_at: DateTime<Utc>,
}

/// A revocation, as the CRL lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Upper-case hexadecimal.
    pub serial: String,
    pub revoked_at: DateTime<Utc>,
    pub revocation_reason: Option<RevocationReason>,
}

/// Signatures made at once with one certificate (one confirmation, one or more digests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignatures {
    pub application_id: i64,
    pub at: DateTime<Utc>,
    /// Lower-case hex of each digest signed.
    pub digests: Vec<String>,
    pub client: certdesk_domain::remote_signing::SigningClient,
    pub address: Option<std::net::IpAddr>,
}

/// One entry of the signing log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRecord {
    pub id: i64,
    pub application_id: i64,
    pub at: DateTime<Utc>,
    pub digest: String,
    pub client: certdesk_domain::remote_signing::SigningClient,
    pub address: Option<String>,
}

/// A bearer token of the CSC API's `auth/login` (issue 11), kept as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCscToken {
    pub token_hash: String,
    pub application_id: i64,
    /// `VerifiedPassword::fingerprint` of the login.
    pub password_fingerprint: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An unexpired CSC bearer token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CscTokenRecord {
    pub application_id: i64,
    pub password_fingerprint: String,
    pub expires_at: DateTime<Utc>,
}

/// A SAD of the CSC API's `credentials/authorize`, kept as its SHA-256, with the hashes it may
/// sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSad {
    pub sad_hash: String,
    pub application_id: i64,
    /// What the SAD signs: its hashes, or a number of documents.
    pub binding: certdesk_domain::csc::Binding,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}
