//! «Αλλαγή κωδικού»: the current password, the new one twice. Forced at the first login.

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use certdesk_app::AppError;
use certdesk_domain::second_factor::Setup;
use certdesk_store::SessionRecord;
use serde::Deserialize;

use super::roles::ConsoleAccount;
use super::texts::Texts;
use super::{render, setup_page};
use crate::error::WebError;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    forced: bool,
    errors: Vec<String>,
    changed: bool,
    /// Where «Συνέχεια» leads once changed.
    next: &'a str,
}

pub async fn password_page(user: ConsoleAccount) -> Response {
    render_page(&user, Vec::new(), false, "/employees", StatusCode::OK)
}

fn render_page(
    user: &ConsoleAccount,
    errors: Vec<String>,
    changed: bool,
    next: &str,
    status: StatusCode,
) -> Response {
    let page = PasswordPage {
        t: user.texts(),
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: "/account/password",
        forced: user.account.pending_setup() == Some(Setup::ChangePassword),
        errors,
        changed,
        next,
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

pub async fn password_submit(user: ConsoleAccount, Form(form): Form<PasswordForm>) -> Response {
    if !user.csrf_ok(&form.csrf) {
        return super::error_page(user.lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    let changed = user
        .account
        .change_password(
            &form.current_password,
            &form.new_password,
            &form.new_password_confirm,
        )
        .await;
    match changed {
        Ok(()) => {
            tracing::info!(
                administrator = user.session().administrator_id,
                "password changed"
            );
            // The second factor may still be to set up: «Συνέχεια» leads there.
            let next = if user.session().security.second_factor_required
                && !user.session().security.second_factor_enrolled
            {
                setup_page(Setup::EnrolSecondFactor)
            } else {
                "/employees"
            };
            render_page(&user, Vec::new(), true, next, StatusCode::OK)
        }
        Err(AppError::InvalidFields(errors)) => {
            let messages = errors.iter().map(|e| e.message(user.lang)).collect();
            render_page(
                &user,
                messages,
                false,
                "/employees",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(error) => {
            let error = WebError::from(error);
            let status = error.status();
            render_page(
                &user,
                vec![error.message(user.lang)],
                false,
                "/employees",
                status,
            )
        }
    }
}
