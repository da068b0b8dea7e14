//! The employee card (Καρτέλα υπαλλήλου) and the cancellation of an issuance (the seed's
//! procedure): the button, the confirmation (a modal with JavaScript, this page without), the
//! message, the new status and the history entry.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::status::{status_code, status_label};
use certdesk_domain::validation::Reason;
use certdesk_domain::{Command, Lang};
use certdesk_store::workflow::perform;
use certdesk_store::{ApplicationRecord, EmployeeRecord, SessionRecord};
use serde::Deserialize;

use super::texts::Texts;
use super::{ConsoleUser, error_page, render};
use crate::AppState;
use crate::error::ApiError;

pub struct HistoryRow {
    pub at: String,
    pub action: &'static str,
    pub description: String,
    pub reason: Option<String>,
    pub actor: String,
}

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
    certificate: Option<super::certificate::CertificateView>,
    /// A ΔΨΠ may revoke it (issued, not yet revoked).
    revocable: bool,
    error: Option<String>,
    reason: String,
}

#[derive(Template)]
#[template(path = "cancel.html")]
struct CancelPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    employee: &'a EmployeeRecord,
    status_label: &'static str,
    version: i64,
    error: Option<String>,
    reason: String,
}

/// Date and time as people in Greece read them.
pub(crate) fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Athens)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// The history as the console and the portal show it: newest first, in the reader's language.
pub(crate) fn history_rows(
    history: &[certdesk_domain::HistoryEntry],
    lang: Lang,
) -> Vec<HistoryRow> {
    history
        .iter()
        .rev()
        .map(|h| HistoryRow {
            at: local_time(h.at),
            action: h.action.label(lang),
            description: match lang {
                Lang::El => h.description.clone(),
                Lang::En => h.action.describe(&h.actor_name, Lang::En),
            },
            reason: h.reason.clone(),
            actor: h.actor_name.clone(),
        })
        .collect()
}

pub(super) struct Loaded {
    pub(super) employee: EmployeeRecord,
    pub(super) application: Option<ApplicationRecord>,
}

pub(super) async fn load(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
) -> Result<Loaded, Response> {
    let lang = user.lang;
    let not_found = || {
        error_page(
            lang,
            lang.pick("Δεν βρέθηκε ο υπάλληλος.", "Employee not found."),
            StatusCode::NOT_FOUND,
        )
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let unavailable = |e| {
        error_page(
            lang,
            &ApiError::store(e, lang).message,
            StatusCode::SERVICE_UNAVAILABLE,
        )
    };
    let employee = state
        .store
        .employee(&user.scope(), id)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    let application = match employee.current_application_id {
        Some(app_id) => state
            .store
            .application(&user.scope(), app_id)
            .await
            .map_err(unavailable)?,
        None => None,
    };
    Ok(Loaded {
        employee,
        application,
    })
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

pub(super) async fn card_response(
    state: &AppState,
    user: &ConsoleUser,
    loaded: Loaded,
    done: Done,
    error: Option<String>,
    reason: String,
) -> Response {
    let lang = user.lang;
    let history = match &loaded.application {
        Some(app) => match state.store.history(app.id).await {
            Ok(h) => h,
            Err(e) => {
                return error_page(
                    lang,
                    &ApiError::store(e, lang).message,
                    StatusCode::SERVICE_UNAVAILABLE,
                );
            }
        },
        None => Vec::new(),
    };
    let earlier = state
        .store
        .applications_of_employee(loaded.employee.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|a| Some(a.id) != loaded.application.as_ref().map(|c| c.id))
        .map(|a| EarlierApplication {
            started: local_time(a.created_at),
            status_label: a.status.label(lang),
        })
        .collect();
    let status = loaded.application.as_ref().map(|a| a.status);
    let has_error = error.is_some();
    let certificate = match &loaded.application {
        Some(app) => match super::certificate::view(state, app.id).await {
            Ok(view) => view,
            Err(response) => return response,
        },
        None => None,
    };
    let revocable = status == Some(certdesk_domain::Status::Issued) && certificate.is_some();
    let path = format!("/employees/{}", loaded.employee.id);
    let page = CardPage {
        t: user.texts(),
        user: Some(&user.session),
        csrf: &user.session.csrf_token,
        current_path: &path,
        employee: &loaded.employee,
        status_code: status_code(status),
        status_label: status_label(status, lang),
        cancellable: status.is_some_and(|s| s.is_cancellable()),
        version: loaded.application.as_ref().map_or(0, |a| a.version),
        history: history_rows(&history, lang),
        earlier,
        cancelled: done == Done::Cancelled,
        // The domain's transition table decides, not a copy of it here.
        approvable: loaded.application.as_ref().is_some_and(|a| {
            certdesk_domain::transition::decide(
                &a.as_domain(),
                &Command::Approve,
                &user.actor(),
                state.clock.now(),
            )
            .is_ok()
        }),
        notice: match done {
            Done::Started => Some(user.texts().started_message),
            Done::Approved => Some(user.texts().approved_message),
            Done::Rejected => Some(user.texts().rejected_message),
            Done::Revoked => Some(user.texts().revoked_message),
            _ => None,
        },
        certificate,
        revocable,
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
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
) -> Response {
    match load(&state, &user, &id).await {
        Ok(loaded) => {
            // A message shows only when the application really is in the state it announces.
            use certdesk_domain::Status;
            let status = loaded.application.as_ref().map(|a| a.status);
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
            card_response(&state, &user, loaded, done, None, String::new()).await
        }
        Err(response) => response,
    }
}

/// The confirmation page: what the modal shows, for browsers without JavaScript.
pub async fn cancel_confirm_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let loaded = match load(&state, &user, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    match &loaded.application {
        Some(app) if app.status.is_cancellable() => {
            let page = CancelPage {
                t: user.texts(),
                user: Some(&user.session),
                csrf: &user.session.csrf_token,
                current_path: &format!("/employees/{}/cancel", loaded.employee.id),
                employee: &loaded.employee,
                status_label: app.status.label(user.lang),
                version: app.version,
                error: None,
                reason: String::new(),
            };
            render(&page)
        }
        _ => Redirect::to(&format!("/employees/{}", loaded.employee.id)).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn cancel_submit(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> Response {
    let lang = user.lang;
    if !user.csrf_ok(&form.csrf) {
        return error_page(lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    let loaded = match load(&state, &user, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let Some(application) = &loaded.application else {
        let message = lang
            .pick(
                "Ο υπάλληλος δεν έχει αίτηση για ακύρωση.",
                "The employee has no application to cancel.",
            )
            .to_owned();
        return card_response(
            &state,
            &user,
            loaded,
            Done::Nothing,
            Some(message),
            String::new(),
        )
        .await;
    };
    let reason = match Reason::parse_optional(Some(&form.reason)) {
        Ok(reason) => reason,
        Err(error) => {
            let page = CancelPage {
                t: user.texts(),
                user: Some(&user.session),
                csrf: &user.session.csrf_token,
                current_path: &format!("/employees/{}/cancel", loaded.employee.id),
                employee: &loaded.employee,
                status_label: application.status.label(lang),
                version: application.version,
                error: Some(error.message(lang)),
                reason: form.reason.clone(),
            };
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
    };
    let outcome = perform(
        state.store.as_ref(),
        &user.scope(),
        application.id,
        &Command::Cancel { reason },
        &user.actor(),
        state.clock.now(),
    )
    .await;
    match outcome {
        Ok(_) => {
            tracing::info!(
                application = application.id,
                administrator = user.session.administrator_id,
                "issuance cancelled"
            );
            Redirect::to(&format!("/employees/{}?cancelled=1", loaded.employee.id)).into_response()
        }
        Err(error) => {
            let message = ApiError::workflow(error, lang).message;
            // Show the card as it is now, with the reason the cancellation was refused.
            match load(&state, &user, &id).await {
                Ok(reloaded) => {
                    card_response(
                        &state,
                        &user,
                        reloaded,
                        Done::Nothing,
                        Some(message),
                        form.reason,
                    )
                    .await
                }
                Err(response) => response,
            }
        }
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Approves (`approve`) or rejects with a mandatory reason (`reject`) an application awaiting
/// approval, then shows the card with what happened.
async fn decide_application(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    form: &DecisionForm,
    approve: bool,
) -> Response {
    let lang = user.lang;
    if !user.csrf_ok(&form.csrf) {
        return error_page(lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    let loaded = match load(state, user, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let (Some(application), employee_id) = (&loaded.application, loaded.employee.id) else {
        let message = lang.pick(
            "Ο υπάλληλος δεν έχει αίτηση.",
            "The employee has no application.",
        );
        return card_response(
            state,
            user,
            loaded,
            Done::Nothing,
            Some(message.to_owned()),
            String::new(),
        )
        .await;
    };
    let command = if approve {
        Command::Approve
    } else {
        match Reason::parse_required(Some(&form.reason)) {
            Ok(reason) => Command::Reject { reason },
            Err(error) => {
                let message = error.message(lang);
                let page = card_response(
                    state,
                    user,
                    loaded,
                    Done::Nothing,
                    Some(message),
                    form.reason.clone(),
                )
                .await;
                return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
            }
        }
    };
    let scope = user.scope();
    match perform(
        state.store.as_ref(),
        &scope,
        application.id,
        &command,
        &user.actor(),
        state.clock.now(),
    )
    .await
    {
        Ok(_) => {
            let done = if approve { "approved" } else { "rejected" };
            Redirect::to(&format!("/employees/{employee_id}?{done}=1")).into_response()
        }
        Err(error) => {
            let message = ApiError::workflow(error, lang).message;
            match load(state, user, id).await {
                Ok(reloaded) => {
                    card_response(
                        state,
                        user,
                        reloaded,
                        Done::Nothing,
                        Some(message),
                        form.reason.clone(),
                    )
                    .await
                }
                Err(response) => response,
            }
        }
    }
}

pub async fn approve_submit(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    decide_application(&state, &user, &id, &form, true).await
}

pub async fn reject_submit(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    decide_application(&state, &user, &id, &form, false).await
}
