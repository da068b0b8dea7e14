//! Logging in through the tax registry, and out.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::AppError;
use certdesk_app::portal::login::{Callback, LOGIN_STATE_LIFETIME};
use serde::Deserialize;

use super::{CsrfForm, PORTAL_SESSION_COOKIE, beneficiary, landing, portal_message};
use crate::AppState;
use crate::cookies::{cookie, page_lang, set_cookie};
use crate::error::WebError;

const LOGIN_STATE_COOKIE: &str = "certdesk_portal_state";

// The PKCE verifier travels with the state in its cookie, as `{state}.{verifier}` (the state is
// hex and the verifier base64url, so neither holds a '.'). It must stay with this browser until
// the callback, as the state does, and that cookie already is HttpOnly, SameSite=Lax, Secure
// with --secure-cookies, short-lived and cleared at the callback; whoever intercepts the code
// (what PKCE guards against) has not got it. Keeping it in the store instead would add a column
// to both backends and buy nothing: the store keeps the state's digest only to spend it once.

/// The state cookie's value.
fn state_cookie_value(state: &str, verifier: &str) -> String {
    format!("{state}.{verifier}")
}

/// The state and the verifier of the state cookie; no verifier in a cookie without one.
fn split_state_cookie(value: &str) -> (&str, Option<&str>) {
    match value.split_once('.') {
        Some((state, verifier)) => (state, Some(verifier)),
        None => (value, None),
    }
}

/// The redirect URI registered with the tax registry: the configured public address, else the
/// address the request came to.
fn callback_url(state: &AppState, headers: &HeaderMap) -> String {
    let base = match &state.app.settings.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    };
    format!("{base}/portal/callback")
}

/// «Σύνδεση μέσω TaxisNet»: off to the tax registry, with a fresh state and PKCE verifier in a
/// cookie.
pub async fn login(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = page_lang(&headers, state.config.secure_cookies);
    // The state cookie must be set on the host the registry sends the browser back to.
    if let Some(public) = &state.app.settings.public_url {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let public_host = public
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next());
        if host.is_some() && public_host.is_some() && host != public_host {
            let target = format!("{}/portal/login", public.trim_end_matches('/'));
            return Redirect::to(&target).into_response();
        }
    }
    match state
        .app
        .start_portal_login(&callback_url(&state, &headers))
        .await
    {
        Ok(started) => (
            [(
                header::SET_COOKIE,
                set_cookie(
                    LOGIN_STATE_COOKIE,
                    &state_cookie_value(&started.state, &started.code_verifier),
                    Some(LOGIN_STATE_LIFETIME.num_seconds()),
                    state.config.secure_cookies,
                ),
            )],
            Redirect::to(&started.authorize_url),
        )
            .into_response(),
        Err(error) => {
            let error = WebError::from(error);
            landing(lang, Some(&portal_message(&error, lang)), error.status())
        }
    }
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The tax registry sends the browser back here; the state cookie is used up either way.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let secure = state.config.secure_cookies;
    let lang = page_lang(&headers, secure);
    let kept = cookie(&headers, LOGIN_STATE_COOKIE, secure).unwrap_or_default();
    let (expected_state, code_verifier) = split_state_cookie(&kept);
    let outcome = state
        .app
        .finish_portal_login(Callback {
            expected_state,
            code_verifier,
            state: query.state.as_deref(),
            code: query.code.as_deref(),
            error: query.error.as_deref(),
            redirect_uri: &callback_url(&state, &headers),
        })
        .await;
    let clear_state = set_cookie(LOGIN_STATE_COOKIE, "", Some(0), secure);
    let mut response = match outcome {
        Ok(session) => {
            let mut response = Redirect::to("/portal").into_response();
            let value = set_cookie(PORTAL_SESSION_COOKIE, &session.token, None, secure);
            if let Ok(value) = value.parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => {
            let error = WebError::from(error);
            // A store that does not answer is the one failure that is not the login's own.
            let status = match &error {
                WebError::App(AppError::Store(_)) => StatusCode::SERVICE_UNAVAILABLE,
                other => other.status(),
            };
            landing(lang, Some(&portal_message(&error, lang)), status)
        }
    };
    if let Ok(value) = clear_state.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Ok(Some(user)) = beneficiary(&headers, &state).await
        && user.who.csrf_ok(&form.csrf)
        && let Err(error) = user.who.log_out().await
    {
        tracing::warn!(%error, "could not delete a portal session at logout");
    }
    (
        [(
            header::SET_COOKIE,
            set_cookie(
                PORTAL_SESSION_COOKIE,
                "",
                Some(0),
                state.config.secure_cookies,
            ),
        )],
        Redirect::to("/portal"),
    )
        .into_response()
}
