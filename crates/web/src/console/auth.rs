//! Logging in and out: shared by the console (session cookie) and the API (bearer token).

use std::sync::LazyLock;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::throttle;
use certdesk_store::credentials::{hash_password, new_token, token_hash, verify_password};
use certdesk_store::{AdministratorRecord, NewSession, SessionKind, StoreResult};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::texts::{Texts, texts};
use super::{
    ConsoleUser, SESSION_COOKIE, console_lang, constant_time_eq, cookie, render, set_cookie,
};
use crate::AppState;

const LOGIN_CSRF_COOKIE: &str = "certdesk_login_csrf";

/// Verified against when the username is unknown, so that both answers take as long.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("certdesk-dummy-password"));

pub enum LoginOutcome {
    LoggedIn(AdministratorRecord),
    WrongCredentials,
    /// Too many failed attempts for this username lately (SPEC §9).
    Throttled,
}

/// Checks a username and password, counting failures per username in the store.
pub async fn check_credentials(
    state: &AppState,
    username: &str,
    password: &str,
) -> StoreResult<LoginOutcome> {
    let username = username.trim();
    let now = state.clock.now();
    let failures = state
        .store
        .login_failures_since(username, throttle::window_start(now))
        .await?;
    if !throttle::login_allowed(failures) {
        return Ok(LoginOutcome::Throttled);
    }
    let admin = state.store.administrator_by_username(username).await?;
    let stored = admin
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let password = password.to_owned();
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .unwrap_or(false);
    match admin.filter(|_| matches) {
        Some(admin) => {
            state.store.clear_login_failures(username).await?;
            Ok(LoginOutcome::LoggedIn(admin))
        }
        None => {
            state.store.record_login_failure(username, now).await?;
            Ok(LoginOutcome::WrongCredentials)
        }
    }
}

pub struct OpenedSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Opens a console session or an API token; only its hash is stored.
pub async fn open_session(
    state: &AppState,
    administrator_id: i64,
    kind: SessionKind,
) -> StoreResult<OpenedSession> {
    let now = state.clock.now();
    let token = new_token();
    let csrf_token = new_token();
    let expires_at = now + Duration::hours(state.config.session_hours);
    state
        .store
        .create_session(&NewSession {
            token_hash: token_hash(&token),
            administrator_id,
            kind,
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at,
        })
        .await?;
    Ok(OpenedSession {
        token,
        csrf_token,
        expires_at,
    })
}

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
    let lang = console_lang(&headers);
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
    #[serde(default)]
    csrf: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = console_lang(&headers);
    let expected_csrf = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let csrf_ok = !expected_csrf.is_empty()
        && constant_time_eq(expected_csrf.as_bytes(), form.csrf.as_bytes());
    let outcome = if csrf_ok {
        match check_credentials(&state, &form.username, &form.password).await {
            Ok(outcome) => outcome,
            Err(error) => {
                return super::error_page(
                    lang,
                    &crate::error::ApiError::store(error, lang).message,
                    StatusCode::SERVICE_UNAVAILABLE,
                );
            }
        }
    } else {
        LoginOutcome::WrongCredentials
    };
    let admin = match outcome {
        LoginOutcome::LoggedIn(admin) => admin,
        refused => {
            tracing::info!("console login refused");
            let (status, failure) = match refused {
                LoginOutcome::Throttled => {
                    (StatusCode::TOO_MANY_REQUESTS, texts(lang).login_throttled)
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
    match open_session(&state, admin.id, SessionKind::Console).await {
        Ok(session) => {
            tracing::info!(administrator = admin.id, "console login");
            let max_age = state.config.session_hours * 3600;
            let mut response = Redirect::to("/employees").into_response();
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
        Err(error) => super::error_page(
            lang,
            &crate::error::ApiError::store(error, lang).message,
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    user: ConsoleUser,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !user.csrf_ok(&form.csrf) {
        return super::error_page(user.lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    if let Err(error) = state.store.delete_session(&user.token_hash).await {
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
