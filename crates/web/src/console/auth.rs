//! Logging in to the console and out of it (the use cases are `certdesk_app::admin`'s).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::admin::LoginOutcome;
use certdesk_app::tokens::{constant_time_eq, new_token};
use certdesk_store::SessionKind;
use serde::Deserialize;

use super::roles::ConsoleAccount;
use super::texts::{Texts, texts};
use super::{SESSION_COOKIE, console_lang, render, setup_page};
use crate::AppState;
use crate::cookies::{cookie, set_cookie};
use crate::error::WebError;
use crate::extract::ClientAddress;

const LOGIN_CSRF_COOKIE: &str = "certdesk_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: &'static Texts,
    user: Option<&'a certdesk_store::SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    /// Why the last attempt failed, if it did.
    failure: Option<&'static str>,
    username: &'a str,
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = console_lang(&headers, &state);
    let csrf = new_token();
    let page = LoginPage {
        t: texts(lang),
        user: None,
        csrf: &csrf,
        current_path: "/login",
        failure: None,
        username: "",
    };
    (
        [(
            header::SET_COOKIE,
            set_cookie(
                LOGIN_CSRF_COOKIE,
                &csrf,
                Some(3600),
                state.config.secure_cookies,
            ),
        )],
        render(&page),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// The second factor's code (TOTP or recovery), once the account has one.
    #[serde(default)]
    otp: String,
    #[serde(default)]
    csrf: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = console_lang(&headers, &state);
    let expected_csrf =
        cookie(&headers, LOGIN_CSRF_COOKIE, state.config.secure_cookies).unwrap_or_default();
    let csrf_ok = !expected_csrf.is_empty()
        && constant_time_eq(expected_csrf.as_bytes(), form.csrf.as_bytes());
    let outcome = if csrf_ok {
        let otp = Some(form.otp.as_str()).filter(|o| !o.trim().is_empty());
        match state
            .app
            .log_in(
                &form.username,
                &form.password,
                otp,
                SessionKind::Console,
                from,
            )
            .await
        {
            Ok(outcome) => outcome,
            Err(error) => {
                let error = WebError::from(error);
                return super::error_page(lang, &error.message(lang), error.status());
            }
        }
    } else {
        LoginOutcome::WrongCredentials
    };
    let session = match outcome {
        LoginOutcome::LoggedIn(session) => session,
        refused => {
            tracing::info!("console login refused");
            let (status, failure) = match refused {
                LoginOutcome::Throttled => {
                    (StatusCode::TOO_MANY_REQUESTS, texts(lang).login_throttled)
                }
                LoginOutcome::OtpRequired => {
                    (StatusCode::UNAUTHORIZED, texts(lang).login_otp_required)
                }
                _ => (StatusCode::UNAUTHORIZED, texts(lang).login_failed),
            };
            let csrf = new_token();
            let page = LoginPage {
                t: texts(lang),
                user: None,
                csrf: &csrf,
                current_path: "/login",
                failure: Some(failure),
                username: &form.username,
            };
            let cookie = set_cookie(
                LOGIN_CSRF_COOKIE,
                &csrf,
                Some(3600),
                state.config.secure_cookies,
            );
            return (status, [(header::SET_COOKIE, cookie)], render(&page)).into_response();
        }
    };
    tracing::info!(administrator = session.administrator_id, "console login");
    // A new token at every login: a session this browser held before is ended, not kept.
    if let Some(earlier) = cookie(&headers, SESSION_COOKIE, state.config.secure_cookies)
        && let Err(error) = state.app.discard_session(&earlier).await
    {
        tracing::warn!(%error, "could not end the earlier session at login");
    }
    let max_age = state.app.settings.session_hours * 3600;
    // An account with its setup pending goes there; otherwise each role starts where its work is.
    let landing = if session.role.may_manage_accounts() {
        "/operator/accounts"
    } else {
        "/employees"
    };
    let next = session.setup.map_or(landing, setup_page);
    let mut response = Redirect::to(next).into_response();
    let headers = response.headers_mut();
    for value in [
        set_cookie(
            SESSION_COOKIE,
            &session.token,
            Some(max_age),
            state.config.secure_cookies,
        ),
        set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), state.config.secure_cookies),
    ] {
        if let Ok(v) = value.parse() {
            headers.append(header::SET_COOKIE, v);
        }
    }
    response
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    user: ConsoleAccount,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !user.csrf_ok(&form.csrf) {
        return super::error_page(user.lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    if let Err(error) = user.account.log_out().await {
        tracing::warn!(%error, "could not delete a session at logout");
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
