//! «Ο λογαριασμός μου»: the second factor's state, the change of password, and
//! «Αποσύνδεση από όλες τις συσκευές».

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_store::SessionRecord;

use super::auth::CsrfForm;
use super::roles::ConsoleAccount;
use super::texts::Texts;
use super::{SESSION_COOKIE, render};
use crate::AppState;
use crate::cookies::set_cookie;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    username: &'a str,
    enrolled: bool,
}

pub async fn account_page(user: ConsoleAccount) -> Response {
    let session = user.session();
    let page = AccountPage {
        t: user.texts(),
        user: Some(session),
        csrf: user.csrf(),
        current_path: "/account",
        username: &session.username,
        enrolled: session.security.second_factor_enrolled,
    };
    render(&page).into_response()
}

/// Ends every session and API token of the account, this browser's too.
pub async fn logout_everywhere(
    State(state): State<AppState>,
    user: ConsoleAccount,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !user.csrf_ok(&form.csrf) {
        return super::error_page(user.lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    match user.account.log_out_everywhere().await {
        Ok(ended) => {
            tracing::info!(
                administrator = user.session().administrator_id,
                ended,
                "logged out everywhere"
            )
        }
        Err(error) => return user.failure(error),
    }
    (
        [(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies),
        )],
        Redirect::to("/login"),
    )
        .into_response()
}
