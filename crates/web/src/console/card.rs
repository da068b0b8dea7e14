//! The employee card (Καρτέλα υπαλλήλου): the record, the current application with its status
//! and history, the certificate, the earlier applications, and the actions the rules allow now
//! (cancellation in `cancel.rs`, approval and rejection in `decision.rs`, revocation in
//! `certificate.rs`).

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use certdesk_app::AppError;
use certdesk_app::admin::Card;
use certdesk_domain::status::{status_code, status_label};
use certdesk_domain::{Command, Status};
use certdesk_store::{EmployeeRecord, SessionRecord};
use serde::Deserialize;

use super::certificate::CertificateView;
use super::texts::Texts;
use super::{ConsoleUser, error_page, render};
use crate::view::{HistoryRow, history_rows, local_time};

pub struct EarlierApplication {
    pub started: String,
    pub status_label: &'static str,
}

#[derive(Template)]
#[template(path = "employee.html")]
struct CardPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    employee: &'a EmployeeRecord,
    status_code: &'static str,
    status_label: &'static str,
    cancellable: bool,
    version: i64,
    history: Vec<HistoryRow>,
    earlier: Vec<EarlierApplication>,
    cancelled: bool,
    /// A ΔΨΠ may approve or reject (awaiting approval).
    approvable: bool,
    /// The message after an approval or a rejection.
    notice: Option<&'static str>,
    /// The certificate of the application, once issued.
    certificate: Option<CertificateView>,
    /// A ΔΨΠ may revoke it (issued, not yet revoked).
    revocable: bool,
    /// The role may download it (an auditor may not).
    downloadable: bool,
    error: Option<String>,
    reason: String,
    /// Why the beneficiary could not confirm the data: the HR record disagrees with the tax
    /// registry.
    disagreement: Option<String>,
    /// The holder's open «Αίτημα ανάκλησης»: when, and the reason they gave.
    revocation_request: Option<(String, Option<String>)>,
    /// How many signatures the certificate made.
    signature_count: Option<i64>,
}

/// The card of employee `id` (a path segment) of the ΔΨΠ's organisations, or the page that says
/// there is none.
pub(super) async fn load(user: &ConsoleUser, id: &str) -> Result<Card, Response> {
    let not_found = || {
        error_page(
            user.lang,
            user.texts().employee_not_found,
            StatusCode::NOT_FOUND,
        )
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    match user.admin.card(id).await {
        Ok(card) => Ok(card),
        Err(AppError::NotFound) => Err(not_found()),
        Err(error) => Err(user.failure(error)),
    }
}

/// What every form of the card starts with: the form's CSRF token, then the card it acts on.
pub(super) async fn load_for_form(
    user: &ConsoleUser,
    csrf: &str,
    id: &str,
) -> Result<Card, Response> {
    if !user.csrf_ok(csrf) {
        return Err(error_page(
            user.lang,
            user.texts().csrf_failed,
            StatusCode::FORBIDDEN,
        ));
    }
    if !user.admin.role().may_act_on_applications() {
        return Err(user.failure(certdesk_app::AppError::Forbidden));
    }
    load(user, id).await
}

/// What the card announces after an action of the ΔΨΠ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Done {
    Nothing,
    Started,
    Cancelled,
    Approved,
    Rejected,
    Revoked,
}

/// The card as it stands, with what just happened (`done`) or why an action was refused
/// (`error`, shown with the reason the ΔΨΠ typed).
pub(super) fn card_response(
    user: &ConsoleUser,
    card: Card,
    done: Done,
    error: Option<String>,
    reason: String,
) -> Response {
    let lang = user.lang;
    let earlier = card
        .earlier
        .iter()
        .map(|a| EarlierApplication {
            started: local_time(a.created_at),
            status_label: a.status.label(lang),
        })
        .collect();
    let status = card.application.as_ref().map(|a| a.status);
    let has_error = error.is_some();
    let certificate = card.certificate.as_ref().map(CertificateView::new);
    // An auditor reads the card: no form that would change it.
    let acts = user.admin.role().may_act_on_applications();
    let revocable = acts && status == Some(Status::Issued) && certificate.is_some();
    let path = format!("/employees/{}", card.employee.id);
    let disagreement = (!card.disagreement.is_empty())
        .then(|| certdesk_domain::subject::disagreement_message(&card.disagreement, lang));
    let revocation_request = card
        .application
        .as_ref()
        .and_then(|a| a.open_revocation_request())
        .map(|r| (local_time(r.at), r.reason.clone()));
    let page = CardPage {
        disagreement,
        revocation_request,
        signature_count: card.signature_count,
        t: user.texts(),
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: &path,
        employee: &card.employee,
        status_code: status_code(status),
        status_label: status_label(status, lang),
        cancellable: acts && status.is_some_and(|s| s.is_cancellable()),
        version: card.application.as_ref().map_or(0, |a| a.version),
        history: history_rows(&card.history, lang),
        earlier,
        cancelled: done == Done::Cancelled,
        // The domain's transition table decides, not a copy of it here.
        approvable: card
            .application
            .as_ref()
            .is_some_and(|a| user.admin.may(a, &Command::Approve)),
        notice: match done {
            Done::Started => Some(user.texts().started_message),
            Done::Approved => Some(user.texts().approved_message),
            Done::Rejected => Some(user.texts().rejected_message),
            Done::Revoked => Some(user.texts().revoked_message),
            _ => None,
        },
        certificate,
        revocable,
        downloadable: user.admin.role().may_download_certificates(),
        error,
        reason,
    };
    if has_error {
        (StatusCode::CONFLICT, render(&page)).into_response()
    } else {
        render(&page)
    }
}

#[derive(Deserialize)]
pub struct CardQuery {
    cancelled: Option<String>,
    revoked: Option<String>,
    approved: Option<String>,
    rejected: Option<String>,
    started: Option<String>,
}

pub async fn card_page(
    user: ConsoleUser,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
) -> Response {
    let card = match load(&user, &id).await {
        Ok(card) => card,
        Err(response) => return response,
    };
    // A message shows only when the application really is in the state it announces.
    let status = card.application.as_ref().map(|a| a.status);
    let done = if q.cancelled.is_some() && status == Some(Status::Rejected) {
        Done::Cancelled
    } else if q.rejected.is_some() && status == Some(Status::Rejected) {
        Done::Rejected
    } else if q.revoked.is_some() && status == Some(Status::Revoked) {
        Done::Revoked
    } else if q.approved.is_some() && status == Some(Status::AwaitingIdentification) {
        Done::Approved
    } else if q.started.is_some() && status == Some(Status::AwaitingDataCheck) {
        Done::Started
    } else {
        Done::Nothing
    };
    card_response(&user, card, done, None, String::new())
}

/// After an action the rules (or a race) refused: the card as it is now, with the reason.
pub(super) async fn refused(
    user: &ConsoleUser,
    id: &str,
    error: AppError,
    reason: String,
) -> Response {
    let message = crate::error::WebError::from(error).message(user.lang);
    match load(user, id).await {
        Ok(card) => card_response(user, card, Done::Nothing, Some(message), reason),
        Err(response) => response,
    }
}
