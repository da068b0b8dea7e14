//! The OAuth2 authorization-code login: the login page and its form, the code's exchange for an
//! access token, and the user info that token gives.

use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use certdesk_domain::notification::escape_html;
use reqwest::Url;
use serde::Deserialize;

use super::errors::{invalid_client, not_found, oauth_error};
use super::login_page::{LoginRequest, login_page, page};
use super::{
    CODE_LIFETIME, Grant, Inner, Shared, TOKEN_LIFETIME, client_authenticated, random_token,
};
use crate::model::{PersonWire, TokenWire};
use crate::pkce;

#[derive(Deserialize)]
pub(super) struct AuthorizeQuery {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

#[derive(Deserialize)]
pub(super) struct AuthorizeForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    afm: String,
    #[serde(default)]
    password: String,
}

fn bad_request_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(page(&format!(
            "<p class=\"error\">{}</p>",
            escape_html(message)
        ))),
    )
        .into_response()
}

/// Checks the client and the redirect URI of a login: the redirect URI parsed, or what is wrong.
fn check_login(inner: &Inner, client_id: &str, redirect_uri: &str) -> Result<Url, &'static str> {
    if client_id != inner.client_id {
        return Err("Άγνωστη εφαρμογή (client_id).");
    }
    match Url::parse(redirect_uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.fragment().is_none() => Ok(url),
        _ => Err("Μη έγκυρη διεύθυνση επιστροφής (redirect_uri)."),
    }
}

/// Checks the PKCE parameters of a login: only S256, with a well-formed challenge (the local
/// registry requires PKCE, as the public bodies' registries may).
fn check_pkce(challenge: &str, method: &str) -> Result<(), &'static str> {
    if method != pkce::S256 {
        return Err("PKCE is required, with code_challenge_method=S256");
    }
    if !pkce::is_challenge(challenge) {
        return Err("code_challenge is not an S256 challenge");
    }
    Ok(())
}

/// The answer to a login that is refused once the redirect URI is known to be the client's:
/// back to it with the OAuth2 error (RFC 6749 §4.1.2.1), not a page the client never sees.
fn error_redirect(mut redirect: Url, error: &str, description: &str, state: &str) -> Response {
    redirect
        .query_pairs_mut()
        .append_pair("error", error)
        .append_pair("error_description", description)
        .append_pair("state", state);
    Redirect::to(redirect.as_str()).into_response()
}

pub(super) async fn authorize_page(
    State(inner): State<Shared>,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    if q.response_type != "code" {
        return bad_request_page("Υποστηρίζεται μόνο response_type=code.");
    }
    let redirect = match check_login(&inner, &q.client_id, &q.redirect_uri) {
        Ok(url) => url,
        Err(problem) => return bad_request_page(problem),
    };
    if let Err(problem) = check_pkce(&q.code_challenge, &q.code_challenge_method) {
        return error_redirect(redirect, "invalid_request", problem, &q.state);
    }
    Html(login_page(
        &inner,
        &LoginRequest {
            client_id: &q.client_id,
            redirect_uri: &q.redirect_uri,
            state: &q.state,
            code_challenge: &q.code_challenge,
        },
        None,
    ))
    .into_response()
}

pub(super) async fn authorize(
    State(inner): State<Shared>,
    Form(f): Form<AuthorizeForm>,
) -> Response {
    let mut redirect = match check_login(&inner, &f.client_id, &f.redirect_uri) {
        Ok(url) => url,
        Err(problem) => return bad_request_page(problem),
    };
    // Checked again: a form may be posted without the page.
    if let Err(problem) = check_pkce(&f.code_challenge, &f.code_challenge_method) {
        return error_redirect(redirect, "invalid_request", problem, &f.state);
    }
    let known = inner.people.by_afm(&f.afm).is_some();
    if !known || f.password.is_empty() {
        let page = login_page(
            &inner,
            &LoginRequest {
                client_id: &f.client_id,
                redirect_uri: &f.redirect_uri,
                state: &f.state,
                code_challenge: &f.code_challenge,
            },
            Some(
                "Λάθος ΑΦΜ ή κωδικός. Δώστε τον ΑΦΜ ενός προσώπου του καταλόγου και οποιονδήποτε κωδικό.",
            ),
        );
        return (StatusCode::UNAUTHORIZED, Html(page)).into_response();
    }
    let code = random_token();
    {
        let now = Instant::now();
        let mut codes = inner.codes.lock().expect("codes lock");
        codes.retain(|_, grant| grant.expires > now);
        codes.insert(
            code.clone(),
            Grant {
                afm: f.afm.trim().to_owned(),
                redirect_uri: f.redirect_uri.clone(),
                code_challenge: f.code_challenge.clone(),
                expires: now + CODE_LIFETIME,
            },
        );
    }
    redirect
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &f.state);
    Redirect::to(redirect.as_str()).into_response()
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub(super) async fn token(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    let form_client = f.client_id.as_deref().zip(f.client_secret.as_deref());
    if !client_authenticated(&inner, &headers, form_client) {
        return invalid_client();
    }
    if f.grant_type != "authorization_code" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        );
    }
    // A code is gone once presented, whatever comes of it.
    let grant = inner.codes.lock().expect("codes lock").remove(&f.code);
    let grant = match grant {
        Some(grant) if grant.expires > Instant::now() => grant,
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "unknown, used or expired code",
            );
        }
    };
    if grant.redirect_uri != f.redirect_uri {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri differs from the authorization request's",
        );
    }
    if !pkce::verify(&f.code_verifier, &grant.code_challenge) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "code_verifier missing or not the code_challenge's",
        );
    }
    let access_token = random_token();
    {
        let now = Instant::now();
        let mut tokens = inner.tokens.lock().expect("tokens lock");
        tokens.retain(|_, (_, expires)| *expires > now);
        tokens.insert(access_token.clone(), (grant.afm, now + TOKEN_LIFETIME));
    }
    let mut response = Json(TokenWire {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: TOKEN_LIFETIME.as_secs(),
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) async fn userinfo(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let afm = bearer.and_then(|token| {
        let tokens = inner.tokens.lock().expect("tokens lock");
        tokens
            .get(token)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(afm, _)| afm.clone())
    });
    let Some(afm) = afm else {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "unknown or expired access token",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        return response;
    };
    match inner.people.by_afm(&afm) {
        Some(entry) => Json(PersonWire::from(&entry.tax)).into_response(),
        None => not_found(),
    }
}
