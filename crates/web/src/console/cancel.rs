//! The cancellation of an issuance (the seed's procedure): the button, the confirmation (a modal
//! with JavaScript, this page without), the message, the new status and the history entry.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::Command;
use certdesk_domain::validation::Reason;
use certdesk_store::{ApplicationRecord, EmployeeRecord, SessionRecord};
use serde::Deserialize;

use super::card::{Done, card_response, load, load_for_form, refused};
use super::texts::Texts;
use super::{ConsoleActor, ConsoleUser, render};

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

fn cancel_page(
    user: &ConsoleUser,
    employee: &EmployeeRecord,
    application: &ApplicationRecord,
    error: Option<String>,
    reason: String,
) -> Response {
    let page = CancelPage {
        t: user.texts(),
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: &format!("/employees/{}/cancel", employee.id),
        employee,
        status_label: application.status.label(user.lang),
        version: application.version,
        error,
        reason,
    };
    render(&page)
}

/// The confirmation page: what the modal shows, for browsers without JavaScript.
pub async fn cancel_confirm_page(
    ConsoleActor(user): ConsoleActor,
    Path(id): Path<String>,
) -> Response {
    let card = match load(&user, &id).await {
        Ok(card) => card,
        Err(response) => return response,
    };
    match &card.application {
        Some(app) if app.status.is_cancellable() => {
            cancel_page(&user, &card.employee, app, None, String::new())
        }
        _ => Redirect::to(&format!("/employees/{}", card.employee.id)).into_response(),
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
    ConsoleActor(user): ConsoleActor,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> Response {
    let card = match load_for_form(&user, &form.csrf, &id).await {
        Ok(card) => card,
        Err(response) => return response,
    };
    let Some(application) = card.application.clone() else {
        let message = user.texts().no_application_to_cancel.to_owned();
        return card_response(&user, card, Done::Nothing, Some(message), String::new());
    };
    let reason = match Reason::parse_optional(Some(&form.reason)) {
        Ok(reason) => reason,
        Err(error) => {
            let page = cancel_page(
                &user,
                &card.employee,
                &application,
                Some(error.message(user.lang)),
                form.reason.clone(),
            );
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    match user
        .admin
        .perform(application.id, &Command::Cancel { reason })
        .await
    {
        Ok(_) => {
            tracing::info!(
                application = application.id,
                administrator = user.session().administrator_id,
                "issuance cancelled"
            );
            Redirect::to(&format!("/employees/{}?cancelled=1", card.employee.id)).into_response()
        }
        Err(error) => refused(&user, &id, error, form.reason).await,
    }
}
