//! «Αλλαγή κωδικού ψηφιακής υπογραφής»: the current signing password, the new one twice.

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::validation::Field;
use serde::Deserialize;

use super::{HolderTexts, refused};
use crate::portal::{PortalTexts, PortalUser, see_portal};
use crate::view::render;

const PATH: &str = "/portal/signing-password";

#[derive(Template)]
#[template(path = "portal_signing_password.html")]
struct SigningPasswordPage<'a> {
    t: &'static PortalTexts,
    h: &'static HolderTexts,
    csrf: &'a str,
    current_path: &'a str,
    errors: Vec<String>,
    done: bool,
    current_label: &'static str,
    new_label: &'static str,
    confirm_label: &'static str,
}

fn show(user: &PortalUser, done: bool, errors: Vec<String>, status: StatusCode) -> Response {
    let lang = user.lang;
    let page = SigningPasswordPage {
        t: user.texts(),
        h: super::holder_texts(lang),
        csrf: user.who.csrf_token(),
        current_path: PATH,
        errors,
        done,
        current_label: Field::CurrentSigningPassword.label(lang),
        new_label: Field::NewSigningPassword.label(lang),
        confirm_label: Field::NewSigningPasswordConfirm.label(lang),
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn page(user: PortalUser, Query(query): Query<DoneQuery>) -> Response {
    match user.who.holding().await {
        Ok(holding) if holding.manages_credentials => {
            show(&user, query.done.is_some(), Vec::new(), StatusCode::OK)
        }
        Ok(_) => see_portal(None),
        Err(error) => refused(&user, error, |e, s| show(&user, false, e, s)),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_signing_password: String,
    #[serde(default)]
    new_signing_password: String,
    #[serde(default)]
    new_signing_password_confirm: String,
}

pub async fn submit(user: PortalUser, Form(form): Form<PasswordForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user
        .who
        .change_signing_password(
            &form.current_signing_password,
            &form.new_signing_password,
            &form.new_signing_password_confirm,
        )
        .await
    {
        Ok(()) => Redirect::to(&format!("{PATH}?done=changed")).into_response(),
        Err(error) => refused(&user, error, |e, s| show(&user, false, e, s)),
    }
}
