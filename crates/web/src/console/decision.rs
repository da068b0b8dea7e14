//! A ΔΨΠ approves an application awaiting approval, or rejects it with a mandatory reason.

use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::Command;
use certdesk_domain::validation::Reason;
use serde::Deserialize;

use super::card::{Done, card_response, load_for_form, refused};
use super::{ConsoleActor, ConsoleUser};

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Approves (`approve`) or rejects (`reject`), then shows the card with what happened.
async fn decide(user: &ConsoleUser, id: &str, form: &DecisionForm, approve: bool) -> Response {
    let card = match load_for_form(user, &form.csrf, id).await {
        Ok(card) => card,
        Err(response) => return response,
    };
    let Some(application_id) = card.application.as_ref().map(|a| a.id) else {
        let message = user.texts().no_application.to_owned();
        return card_response(user, card, Done::Nothing, Some(message), String::new());
    };
    let command = if approve {
        Command::Approve
    } else {
        match Reason::parse_required(Some(&form.reason)) {
            Ok(reason) => Command::Reject { reason },
            Err(error) => {
                let message = error.message(user.lang);
                let reason = form.reason.clone();
                let page = card_response(user, card, Done::Nothing, Some(message), reason);
                return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
            }
        }
    };
    match user.admin.perform(application_id, &command).await {
        Ok(_) => {
            let done = if approve { "approved" } else { "rejected" };
            Redirect::to(&format!("/employees/{}?{done}=1", card.employee.id)).into_response()
        }
        Err(error) => refused(user, id, error, form.reason.clone()).await,
    }
}

pub async fn approve_submit(
    ConsoleActor(user): ConsoleActor,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    decide(&user, &id, &form, true).await
}

pub async fn reject_submit(
    ConsoleActor(user): ConsoleActor,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    decide(&user, &id, &form, false).await
}
