//! Rows as both backends read them. `sqlx::FromRow` is derived generically over the database,
//! so the SQLite and PostgreSQL modules share these and the conversions into the models; only
//! their SQL text differs.

use certdesk_domain::{Action, ActorKind, HistoryEntry, Status};
use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    AdministratorRecord, ApplicationRecord, EmployeeRecord, EmployeeRow, Job, OutboxMessage,
    StoreError, StoreResult,
};

fn decode_error(what: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("unknown {what} {value:?}").into(),
    ))
}

pub(crate) fn status_of(code: &str) -> StoreResult<Status> {
    Status::parse(code).ok_or_else(|| decode_error("status", code))
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
}

impl TryFrom<ApplicationRow> for ApplicationRecord {
    type Error = StoreError;

    fn try_from(r: ApplicationRow) -> StoreResult<Self> {
        Ok(ApplicationRecord {
            id: r.id,
            employee_id: r.employee_id,
            organisation_id: r.organisation_id,
            status: status_of(&r.status)?,
            version: r.version,
            email: r.email,
            mobile: r.mobile,
            created_at: r.created_at,
            updated_at: r.updated_at,
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
            action: Action::parse(&r.action).ok_or_else(|| decode_error("action", &r.action))?,
            description: r.description,
            reason: r.reason,
            actor_kind: ActorKind::parse(&r.actor_kind)
                .ok_or_else(|| decode_error("actor kind", &r.actor_kind))?,
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

impl From<EmployeeFullRow> for EmployeeRecord {
    fn from(r: EmployeeFullRow) -> Self {
        EmployeeRecord {
            id: r.id,
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            afm: r.afm,
            surname: r.surname,
            given_name: r.given_name,
            father_name: r.father_name,
            id_card: r.id_card,
            birth_date: r.birth_date,
            email: r.email,
            mobile: r.mobile,
            unit: r.unit,
            position: r.position,
            active: r.active,
            username: r.username,
            current_application_id: r.current_application_id,
        }
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
}

impl TryFrom<EmployeeListRow> for EmployeeRow {
    type Error = StoreError;

    fn try_from(r: EmployeeListRow) -> StoreResult<Self> {
        Ok(EmployeeRow {
            id: r.id,
            afm: r.afm,
            surname: r.surname,
            given_name: r.given_name,
            father_name: r.father_name,
            unit: r.unit,
            status: r.status.as_deref().map(status_of).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AdministratorRow {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
}

impl AdministratorRow {
    pub fn with_organisations(self, organisation_ids: Vec<i64>) -> AdministratorRecord {
        AdministratorRecord {
            id: self.id,
            username: self.username,
            full_name: self.full_name,
            password_hash: self.password_hash,
            organisation_ids,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub administrator_id: i64,
    pub kind: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub username: String,
    pub full_name: String,
}

impl SessionRow {
    pub fn into_record(self, organisation_ids: Vec<i64>) -> crate::SessionRecord {
        crate::SessionRecord {
            administrator_id: self.administrator_id,
            username: self.username,
            full_name: self.full_name,
            organisation_ids,
            kind: self.kind,
            csrf_token: self.csrf_token,
            expires_at: self.expires_at,
        }
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

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Self {
        Job {
            id: r.id,
            kind: r.kind,
            application_id: r.application_id,
            run_at: r.run_at,
            attempts: r.attempts,
        }
    }
}

/// The columns `OutboxRow` reads, as a literal for `concat!` (queries stay `&'static str`).
macro_rules! outbox_columns {
    () => {
        "id, recipient, subject, body_text, body_html, created_at, sent_at, attempts, \
         next_attempt_at, last_error"
    };
}
pub(crate) use outbox_columns;

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

impl OutboxRow {
    /// The order in which messages fall due.
    pub(crate) fn due_order(&self) -> (DateTime<Utc>, i64) {
        (self.next_attempt_at, self.id)
    }
}

impl From<OutboxRow> for OutboxMessage {
    fn from(r: OutboxRow) -> Self {
        OutboxMessage {
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
        }
    }
}

/// Converts every row, failing on the first that does not decode.
pub(crate) fn convert<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}
