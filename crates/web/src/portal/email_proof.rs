//! Proving the work email (issue 10): the start email's «Έναρξη» link (`/portal/start`), whose
//! token this browser keeps through the tax-registry login, and the fallback of a code sent to
//! the address.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::AppError;
use certdesk_domain::email_proof::{ProofRefused, is_link_token};
use serde::Deserialize;

use super::{
    CsrfForm, PortalUser, Typed, application_page, beneficiary, landing, refused, see_portal,
};
use crate::AppState;
use crate::cookies::{cookie, page_lang, set_cookie};

/// Keeps the link's token in this browser until the beneficiary is logged in.
pub const EMAIL_LINK_COOKIE: &str = "certdesk_email_link";

/// Long enough for a login at the tax registry, short enough that a shared computer does not
/// keep the token for the next person.
const EMAIL_LINK_COOKIE_SECONDS: i64 = 30 * 60;

#[derive(Deserialize)]
pub struct StartQuery {
    token: Option<String>,
}

/// `/portal/start?token=…`, the «Έναρξη» link: the token waits in a short-lived HttpOnly cookie
/// and the portal's home spends it once the beneficiary is logged in (at once, if they are).
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<StartQuery>,
) -> Response {
    let secure = state.config.secure_cookies;
    let token = query.token.unwrap_or_default();
    // Only a token's shape reaches the cookie: nothing else could be one.
    if !is_link_token(&token) {
        let lang = page_lang(&headers, secure);
        return match beneficiary(&headers, &state).await {
            Ok(Some(user)) => {
                let messages = vec![ProofRefused::Link.message(user.lang).to_owned()];
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                application_page(&user, None, messages, Typed::default(), status).await
            }
            Ok(None) => landing(
                lang,
                Some(ProofRefused::Link.message(lang)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(response) => response,
        };
    }
    let value = set_cookie(
        EMAIL_LINK_COOKIE,
        &token,
        Some(EMAIL_LINK_COOKIE_SECONDS),
        secure,
    );
    ([(header::SET_COOKIE, value)], Redirect::to("/portal")).into_response()
}

/// The token the «Έναρξη» link left in this browser, if any.
pub fn kept_token(headers: &HeaderMap, state: &AppState) -> Option<String> {
    cookie(headers, EMAIL_LINK_COOKIE, state.config.secure_cookies).filter(|t| is_link_token(t))
}

/// Spends the kept token for the logged-in beneficiary and shows the outcome; the cookie goes
/// either way, since a token proves once or never.
pub async fn spend_kept_token(user: &PortalUser, token: &str, state: &AppState) -> Response {
    // Proven already (this link followed twice, or a code): nothing to spend, nothing wrong.
    let outcome = match user.who.email_proven().await {
        Ok(true) => Err(AppError::NotAtStep),
        Ok(false) => user.who.prove_email_by_link(token).await,
        Err(error) => Err(error),
    };
    let mut response = match outcome {
        Ok(()) => {
            let notice = Some(user.texts().email_proven_notice);
            application_page(user, notice, Vec::new(), Typed::default(), StatusCode::OK).await
        }
        Err(AppError::NotAtStep) => {
            application_page(user, None, Vec::new(), Typed::default(), StatusCode::OK).await
        }
        Err(error) => refused(user, error, Typed::default()).await,
    };
    let clear = set_cookie(EMAIL_LINK_COOKIE, "", Some(0), state.config.secure_cookies);
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// «Αποστολή κωδικού επιβεβαίωσης».
pub async fn send_code(user: PortalUser, Form(form): Form<CsrfForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user.who.send_email_proof_code().await {
        Ok(()) => see_portal(Some("email_code_sent")),
        Err(error) => refused(&user, error, Typed::default()).await,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email_code: String,
}

/// The code typed back.
pub async fn prove_by_code(user: PortalUser, Form(form): Form<CodeForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user.who.prove_email_by_code(&form.email_code).await {
        Ok(()) => see_portal(Some("email_proven")),
        Err(error) => refused(&user, error, Typed::default()).await,
    }
}

/// The landing page for someone who followed the link before logging in.
pub fn landing_with_link(headers: &HeaderMap, state: &AppState) -> Response {
    let lang = page_lang(headers, state.config.secure_cookies);
    super::landing_notice(lang, super::portal_texts(lang).email_link_login)
}
