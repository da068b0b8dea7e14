//! Rows as both backends read them, and their decoding into the models. `sqlx::FromRow` is
//! derived generically over the database, so one definition serves both; a stored value that
//! does not parse as its domain type is a decoding error, never a silently wrong value.

use certdesk_domain::certificate::RevocationReason;
use certdesk_domain::email_proof::ProofMethod;
use certdesk_domain::job::JobKind;
use certdesk_domain::otp::StoredSecret;
use certdesk_domain::second_factor::AccountSecurity;
use certdesk_domain::validation::{
    Afm, Email, Field, IdCard, Mobile, PersonName, Username, ValidationError,
};
use certdesk_domain::{Action, ActorKind, HistoryEntry, Role, SecurityEventKind, Status};
use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    AccountSummary, AdministratorRecord, ApplicationRecord, CertificateRecord, EmailProofRecord,
    EmployeeRecord, EmployeeRow, Job, OutboxMessage, PortalSessionRecord, Revocation,
    RevocationRequestRecord, SecurityEventRecord, SessionKind, SessionRecord, SignatureRecord,
    StoreError, StoreResult,
};

fn decode_error(what: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("unknown {what} {value:?}").into(),
    ))
}

fn code<T>(what: &str, value: &str, parse: impl Fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(value).ok_or_else(|| decode_error(what, value))
}

fn valid<T>(value: &str, parse: impl Fn(&str) -> Result<T, ValidationError>) -> StoreResult<T> {
    parse(value).map_err(|e| decode_error(e.field.name(), value))
}

fn name(field: Field, value: &str) -> StoreResult<PersonName> {
    valid(value, |v| PersonName::parse(field, v))
}

fn optional<T>(
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, ValidationError>,
) -> StoreResult<Option<T>> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| valid(&v, &parse))
        .transpose()
}

fn reason(value: Option<i32>) -> StoreResult<Option<RevocationReason>> {
    value
        .map(|c| {
            code("revocation reason", &c.to_string(), |_| {
                RevocationReason::from_code(c)
            })
        })
        .transpose()
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApplicationRow {
    id: i64,
    employee_id: i64,
    organisation_id: i64,
    status: String,
    version: i64,
    email: String,
    mobile: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    email_proven_at: Option<DateTime<Utc>>,
    email_proven_by: Option<String>,
    revocation_requested_at: Option<DateTime<Utc>>,
    revocation_request_reason: Option<String>,
}

impl TryFrom<ApplicationRow> for ApplicationRecord {
    type Error = StoreError;

    fn try_from(r: ApplicationRow) -> StoreResult<Self> {
        Ok(ApplicationRecord {
            id: r.id,
            employee_id: r.employee_id,
            organisation_id: r.organisation_id,
            status: code("status", &r.status, Status::parse)?,
            version: r.version,
            email: valid(&r.email, Email::parse)?,
            mobile: optional(r.mobile, Mobile::parse)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            email_proof: match (r.email_proven_at, r.email_proven_by) {
                (Some(at), Some(by)) => Some(EmailProofRecord {
                    at,
                    method: code("email_proven_by", &by, ProofMethod::parse)?,
                }),
                _ => None,
            },
            revocation_request: r.revocation_requested_at.map(|at| RevocationRequestRecord {
                at,
                reason: r.revocation_request_reason,
            }),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HistoryRow {
    application_id: i64,
    seq: i64,
    at: DateTime<Utc>,
    action: String,
    description: String,
    reason: Option<String>,
    actor_kind: String,
    actor_id: Option<i64>,
    actor_name: String,
    prev_hash: String,
    hash: String,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StoreError;

    fn try_from(r: HistoryRow) -> StoreResult<Self> {
        Ok(HistoryEntry {
            application_id: r.application_id,
            seq: r.seq,
            at: r.at,
            action: code("action", &r.action, Action::parse)?,
            description: r.description,
            reason: r.reason,
            actor_kind: code("actor kind", &r.actor_kind, ActorKind::parse)?,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            prev_hash: r.prev_hash,
            hash: r.hash,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EmployeeFullRow {
    id: i64,
    organisation_id: i64,
    organisation_name: String,
    afm: String,
    surname: String,
    given_name: String,
    father_name: String,
    id_card: Option<String>,
    birth_date: Option<NaiveDate>,
    email: Option<String>,
    mobile: Option<String>,
    unit: String,
    position: String,
    active: bool,
    username: Option<String>,
    current_application_id: Option<i64>,
}

impl TryFrom<EmployeeFullRow> for EmployeeRecord {
    type Error = StoreError;

    fn try_from(r: EmployeeFullRow) -> StoreResult<Self> {
        Ok(EmployeeRecord {
            id: r.id,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            afm: valid(&r.afm, Afm::parse)?,
            surname: name(Field::Surname, &r.surname)?,
            given_name: name(Field::GivenName, &r.given_name)?,
            father_name: name(Field::FatherName, &r.father_name)?,
            id_card: optional(r.id_card, IdCard::parse)?,
            birth_date: r.birth_date,
            email: optional(r.email, Email::parse)?,
            mobile: optional(r.mobile, Mobile::parse)?,
            unit: r.unit,
            position: r.position,
            active: r.active,
            username: optional(r.username, Username::parse)?,
            current_application_id: r.current_application_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EmployeeListRow {
    id: i64,
    afm: String,
    surname: String,
    given_name: String,
    father_name: String,
    unit: String,
    status: Option<String>,
    revocation_requested_at: Option<DateTime<Utc>>,
}

/// A row of a page with the total beside it, counted in the same statement.
#[derive(sqlx::FromRow)]
pub(crate) struct CountedListRow {
    #[sqlx(flatten)]
    pub(crate) row: EmployeeListRow,
    pub(crate) total: i64,
}

impl TryFrom<EmployeeListRow> for EmployeeRow {
    type Error = StoreError;

    fn try_from(r: EmployeeListRow) -> StoreResult<Self> {
        let status = r
            .status
            .as_deref()
            .map(|s| code("status", s, Status::parse))
            .transpose()?;
        Ok(EmployeeRow {
            id: r.id,
            afm: valid(&r.afm, Afm::parse)?,
            surname: name(Field::Surname, &r.surname)?,
            given_name: name(Field::GivenName, &r.given_name)?,
            father_name: name(Field::FatherName, &r.father_name)?,
            unit: r.unit,
            status,
            revocation_requested: status.is_some_and(|s| {
                certdesk_domain::revocation_request::is_open(s, r.revocation_requested_at.is_some())
            }),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AdministratorRow {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub second_factor_required: bool,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub role: String,
    pub disabled: bool,
}

pub(crate) const ADMINISTRATOR_COLUMNS: &str = "id, username, full_name, password_hash, role, disabled, must_change_password, \
     second_factor_required, totp_secret, totp_last_step";

impl AdministratorRow {
    pub fn with_organisations(
        self,
        organisation_ids: Vec<i64>,
    ) -> StoreResult<AdministratorRecord> {
        Ok(AdministratorRecord {
            id: self.id,
            username: self.username,
            full_name: self.full_name,
            password_hash: self.password_hash,
            organisation_ids,
            security: AccountSecurity {
                must_change_password: self.must_change_password,
                second_factor_required: self.second_factor_required,
                second_factor_enrolled: self.totp_secret.is_some(),
            },
            totp_secret: self.totp_secret.map(StoredSecret),
            totp_last_step: self.totp_last_step,
            role: code("role", &self.role, Role::parse)?,
            disabled: self.disabled,
        })
    }
}

impl TryFrom<AdministratorRow> for AccountSummary {
    type Error = StoreError;

    fn try_from(row: AdministratorRow) -> StoreResult<AccountSummary> {
        Ok(AccountSummary {
            id: row.id,
            role: code("role", &row.role, Role::parse)?,
            disabled: row.disabled,
            username: row.username,
            full_name: row.full_name,
        })
    }
}

pub(crate) const SECURITY_EVENT_COLUMNS: &str = "id, at, kind, actor, subject, address, detail";

#[derive(sqlx::FromRow)]
pub(crate) struct SecurityEventRow {
    id: i64,
    at: DateTime<Utc>,
    kind: String,
    actor: Option<String>,
    subject: Option<String>,
    address: Option<String>,
    detail: Option<String>,
}

impl TryFrom<SecurityEventRow> for SecurityEventRecord {
    type Error = StoreError;

    fn try_from(row: SecurityEventRow) -> StoreResult<SecurityEventRecord> {
        Ok(SecurityEventRecord {
            id: row.id,
            at: row.at,
            kind: code("security event kind", &row.kind, SecurityEventKind::parse)?,
            actor: row.actor,
            subject: row.subject,
            address: row.address,
            detail: row.detail,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub administrator_id: i64,
    pub kind: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub pending_totp_secret: Option<String>,
    pub username: String,
    pub full_name: String,
    pub must_change_password: bool,
    pub second_factor_required: bool,
    pub second_factor_enrolled: bool,
    pub role: String,
    /// The administrator's organisations, as `1,7,12` (none: NULL).
    pub organisation_ids: Option<String>,
}

impl SessionRow {
    pub fn into_record(self) -> StoreResult<SessionRecord> {
        let organisation_ids = match &self.organisation_ids {
            Some(list) => list
                .split(',')
                .map(|id| {
                    id.parse()
                        .map_err(|_| decode_error("an organisation id of a session", id))
                })
                .collect::<StoreResult<Vec<i64>>>()?,
            None => Vec::new(),
        };
        Ok(SessionRecord {
            administrator_id: self.administrator_id,
            username: self.username,
            full_name: self.full_name,
            organisation_ids,
            role: code("role", &self.role, Role::parse)?,
            kind: code("session kind", &self.kind, SessionKind::parse)?,
            csrf_token: self.csrf_token,
            expires_at: self.expires_at,
            last_seen_at: self.last_seen_at,
            security: AccountSecurity {
                must_change_password: self.must_change_password,
                second_factor_required: self.second_factor_required,
                second_factor_enrolled: self.second_factor_enrolled,
            },
            pending_totp_secret: self.pending_totp_secret.map(StoredSecret),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PortalSessionRow {
    afm: String,
    identity: String,
    csrf_token: String,
    enrolment: Option<String>,
    expires_at: DateTime<Utc>,
}

impl TryFrom<PortalSessionRow> for PortalSessionRecord {
    type Error = StoreError;

    fn try_from(r: PortalSessionRow) -> StoreResult<Self> {
        Ok(PortalSessionRecord {
            afm: valid(&r.afm, Afm::parse)?,
            identity: r.identity,
            csrf_token: r.csrf_token,
            enrolment: r.enrolment,
            expires_at: r.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: i64,
    kind: String,
    application_id: Option<i64>,
    run_at: DateTime<Utc>,
    attempts: i64,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;

    fn try_from(r: JobRow) -> StoreResult<Self> {
        Ok(Job {
            id: r.id,
            kind: code("job kind", &r.kind, JobKind::parse)?,
            application_id: r.application_id,
            run_at: r.run_at,
            attempts: r.attempts,
        })
    }
}

/// The columns `OutboxRow` reads.
pub(crate) const OUTBOX_COLUMNS: &str = "id, recipient, subject, body_text, body_html, \
     created_at, sent_at, attempts, next_attempt_at, last_error";

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: i64,
    recipient: String,
    subject: String,
    body_text: String,
    body_html: String,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
}

impl TryFrom<OutboxRow> for OutboxMessage {
    type Error = StoreError;

    fn try_from(r: OutboxRow) -> StoreResult<Self> {
        Ok(OutboxMessage {
            id: r.id,
            recipient: r.recipient,
            subject: r.subject,
            body_text: r.body_text,
            body_html: r.body_html,
            created_at: r.created_at,
            sent_at: r.sent_at,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
        })
    }
}

/// The columns `CertificateRow` reads, of the table aliased `c`.
pub(crate) const CERTIFICATE_COLUMNS: &str = "c.serial, c.application_id, c.der, c.not_before, \
     c.not_after, c.revoked_at, c.revocation_reason, c.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CertificateRow {
    serial: String,
    application_id: i64,
    der: Vec<u8>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    revocation_reason: Option<i32>,
    created_at: DateTime<Utc>,
}

impl TryFrom<CertificateRow> for CertificateRecord {
    type Error = StoreError;

    fn try_from(r: CertificateRow) -> StoreResult<Self> {
        Ok(CertificateRecord {
            serial: r.serial,
            application_id: r.application_id,
            der: r.der,
            not_before: r.not_before,
            not_after: r.not_after,
            revoked_at: r.revoked_at,
            revocation_reason: reason(r.revocation_reason)?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RevocationRow {
    serial: String,
    revoked_at: DateTime<Utc>,
    revocation_reason: Option<i32>,
}

impl TryFrom<RevocationRow> for Revocation {
    type Error = StoreError;

    fn try_from(r: RevocationRow) -> StoreResult<Self> {
        Ok(Revocation {
            serial: r.serial,
            revoked_at: r.revoked_at,
            revocation_reason: reason(r.revocation_reason)?,
        })
    }
}

/// Converts every row, failing on the first that does not decode.
pub(crate) fn convert<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}

/// Converts an optional row.
pub(crate) fn convert_one<R, T: TryFrom<R, Error = StoreError>>(
    row: Option<R>,
) -> StoreResult<Option<T>> {
    row.map(T::try_from).transpose()
}

pub(crate) const SIGNATURE_COLUMNS: &str = "id, application_id, at, digest, client, address";

#[derive(sqlx::FromRow)]
pub(crate) struct SignatureRow {
    id: i64,
    application_id: i64,
    at: DateTime<Utc>,
    digest: String,
    client: String,
    address: Option<String>,
}

impl TryFrom<SignatureRow> for SignatureRecord {
    type Error = StoreError;

    fn try_from(row: SignatureRow) -> StoreResult<SignatureRecord> {
        let client = certdesk_domain::remote_signing::SigningClient::parse(&row.client)
            .ok_or_else(|| {
                StoreError::Configuration(format!("unknown signing client {:?}", row.client))
            })?;
        Ok(SignatureRecord {
            id: row.id,
            application_id: row.application_id,
            at: row.at,
            digest: row.digest,
            client,
            address: row.address,
        })
    }
}
