//! The JSON shapes of the API (SPEC §7).

use certdesk_domain::status::{status_code, status_label};
use certdesk_domain::{HistoryEntry, Lang};
use certdesk_store::{ApplicationRecord, EmployeeRecord, EmployeeRow};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct HistoryView {
    pub at: DateTime<Utc>,
    /// Action code, e.g. `cancelled`.
    pub action: String,
    pub action_label: String,
    /// Περιγραφή, e.g. «Η έκδοση του πιστοποιητικού ακυρώθηκε από τον χρήστη …».
    pub description: String,
    /// The optional reason given with the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Full name of who made the change.
    pub actor: String,
}

impl HistoryView {
    pub fn new(entry: &HistoryEntry, lang: Lang) -> HistoryView {
        HistoryView {
            at: entry.at,
            action: entry.action.code().to_owned(),
            action_label: entry.action.label(lang).to_owned(),
            description: match lang {
                Lang::El => entry.description.clone(),
                Lang::En => entry.action.describe(&entry.actor_name, Lang::En),
            },
            reason: entry.reason.clone(),
            actor: entry.actor_name.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    /// A status code of SPEC §2.
    pub status: String,
    pub status_label: String,
    /// Whether a ΔΨΠ may still cancel the issuance.
    pub cancellable: bool,
    /// Increases with every change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub history: Vec<HistoryView>,
}

impl ApplicationView {
    pub fn new(app: &ApplicationRecord, history: &[HistoryEntry], lang: Lang) -> ApplicationView {
        ApplicationView {
            id: app.id,
            status: app.status.code().to_owned(),
            status_label: app.status.label(lang).to_owned(),
            cancellable: app.status.is_cancellable(),
            version: app.version,
            created_at: app.created_at,
            updated_at: app.updated_at,
            history: history.iter().map(|h| HistoryView::new(h, lang)).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EmployeeRowView {
    pub id: i64,
    pub afm: String,
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
    pub unit: String,
    /// A status code of SPEC §2, or `none`.
    pub status: String,
    pub status_label: String,
    /// The holder asked for their certificate's revocation («Αίτημα ανάκλησης») and it is not
    /// revoked yet: a task for the ΔΨΠ.
    pub revocation_requested: bool,
}

impl EmployeeRowView {
    pub fn new(row: &EmployeeRow, lang: Lang) -> EmployeeRowView {
        EmployeeRowView {
            id: row.id,
            afm: row.afm.to_string(),
            surname: row.surname.to_string(),
            given_name: row.given_name.to_string(),
            father_name: row.father_name.to_string(),
            unit: row.unit.clone(),
            status: status_code(row.status).to_owned(),
            status_label: status_label(row.status, lang).to_owned(),
            revocation_requested: row.revocation_requested,
        }
    }
}

/// The holder's open «Αίτημα ανάκλησης» of the current application's certificate.
#[derive(Serialize, ToSchema)]
pub struct RevocationRequestView {
    pub requested_at: DateTime<Utc>,
    /// The reason the holder gave, if any.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchView {
    /// How many employees match: exact when `total_exact`, otherwise there are more than this
    /// many (counting stops past 1,000, so that a broad search costs no more than its page).
    pub total: u64,
    /// Whether `total` is the exact count.
    pub total_exact: bool,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<EmployeeRowView>,
}

#[derive(Serialize, ToSchema)]
pub struct EmployeeView {
    pub id: i64,
    pub afm: String,
    pub surname: String,
    pub given_name: String,
    pub father_name: String,
    pub id_card: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub organisation: String,
    pub unit: String,
    pub position: String,
    pub username: Option<String>,
    pub active: bool,
    pub status: String,
    pub status_label: String,
    /// The current application, or null when none was ever submitted.
    pub application: Option<ApplicationView>,
    /// How many signatures the current application's certificate made (remote signing through
    /// the portal, the CSC API or SignBuffer); null when there is no certificate.
    pub signature_count: Option<i64>,
    /// The holder's revocation request while it awaits the ΔΨΠ (null otherwise); the ΔΨΠ
    /// answers it with `POST /applications/{id}/revoke`, category `employee_request`.
    pub revocation_request: Option<RevocationRequestView>,
}

impl EmployeeView {
    pub fn new(
        e: &EmployeeRecord,
        application: Option<ApplicationView>,
        lang: Lang,
    ) -> EmployeeView {
        let status = application
            .as_ref()
            .and_then(|a| certdesk_domain::Status::parse(&a.status));
        EmployeeView {
            id: e.id,
            afm: e.afm.to_string(),
            surname: e.surname.to_string(),
            given_name: e.given_name.to_string(),
            father_name: e.father_name.to_string(),
            id_card: e.id_card.as_ref().map(ToString::to_string),
            birth_date: e.birth_date,
            email: e.email.as_ref().map(ToString::to_string),
            mobile: e.mobile.as_ref().map(ToString::to_string),
            organisation: e.organisation_name.clone(),
            unit: e.unit.clone(),
            position: e.position.clone(),
            username: e.username.as_ref().map(ToString::to_string),
            active: e.active,
            status: status_code(status).to_owned(),
            status_label: status_label(status, lang).to_owned(),
            application,
            signature_count: None,
            revocation_request: None,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The second factor, once the account has one (the demo accounts have none): the six
    /// digits of the authenticator app, or one of the account's single-use recovery codes.
    #[serde(default)]
    #[schema(example = "123456")]
    pub otp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewApplicationRequest {
    /// The employee's ΑΦΜ (9 digits with a valid check digit).
    #[schema(pattern = "^\\s*[0-9]{9}\\s*$")]
    pub afm: String,
    /// The employee's work email.
    pub email: String,
    #[serde(default)]
    pub mobile: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CancelRequest {
    /// Optional reason, at most 500 characters; kept in the history.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// `employee_request` («Μετά από αίτημα υπαλλήλου», CRL reason cessationOfOperation) or
    /// `authority_decision` («Μετά από απόφαση του φορέα/ δικαστικής αρχής/ εποπτικής αρχής»,
    /// CRL reason privilegeWithdrawn). Required: without it the answer is 422 naming the field.
    #[serde(default)]
    #[schema(value_type = String, required = true, pattern = "^(employee_request|authority_decision)$")]
    pub category: Option<String>,
    /// Optional «Περιγραφή», at most 500 characters; kept in the history.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Mandatory reason, at most 500 characters, not only spaces. Without it the answer is 422
    /// naming the field.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: Option<String>,
}
