//! Request extractors of the JSON API. Their failures are [`WebError`]s, written in the
//! request's language by the API's `localize` layer.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use certdesk_app::account::Account;
use certdesk_app::admin::Administrator;
use certdesk_domain::Lang;
use certdesk_store::SessionKind;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{WebError, request_lang};

/// The language of an API answer: English when `Accept-Language` prefers it, Greek otherwise.
pub struct ApiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiLang(request_lang(&parts.headers)))
    }
}

/// The address of the client, as the connection tells it (throttling counts failed logins per
/// address). `None` when the server was not started with connection info. Behind a reverse
/// proxy this is the proxy's address: `X-Forwarded-For` is not trusted, since any client
/// can write it.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// A JSON body; malformed, oversized or mistyped bodies get a clear 4xx.
pub struct ApiJson<T>(pub T);

/// A JSON body that may be left out entirely (then `T::default()`).
pub struct ApiJsonOrDefault<T>(pub T);

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, WebError> {
    match Bytes::from_request(req, state).await {
        Ok(bytes) => Ok(bytes),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(WebError::PayloadTooLarge)
        }
        Err(_) => Err(WebError::BodyUnreadable),
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WebError> {
    // serde's derived structs also accept a JSON array of the fields in order; the API's
    // bodies are objects (SPEC §7), so anything else is refused before it can act.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => WebError::NotAnObject,
                Err(error) => json_error(&error),
            },
        );
    }
    serde_json::from_slice(bytes).map_err(|e| json_error(&e))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for ApiJsonOrDefault<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ApiJsonOrDefault(T::default()));
        }
        parse_json(&bytes).map(ApiJsonOrDefault)
    }
}

fn json_error(error: &serde_json::Error) -> WebError {
    match error.classify() {
        serde_json::error::Category::Data => WebError::WrongShape {
            field: field_of_serde_message(&error.to_string()),
        },
        _ => WebError::MalformedJson,
    }
}

/// serde_json names the field in messages like "missing field `afm`" or "invalid type: … at
/// line 1 column 10" (which names none).
fn field_of_serde_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    let name = &message[start..end];
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| name.to_owned())
}

/// Query-string parameters; mistyped ones (e.g. `page=abc`) get a clear 400.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let detail = e.body_text();
                let field = field_of_serde_message(&detail).or_else(|| {
                    ["page", "per_page"]
                        .into_iter()
                        .find(|f| detail.contains(f))
                        .map(str::to_owned)
                });
                Err(WebError::InvalidQuery { field })
            }
            Err(_) => Err(WebError::InvalidQuery { field: None }),
        }
    }
}

/// An account of any role authenticated by `Authorization: Bearer <token>` (logging out).
pub struct ApiAccount {
    pub account: Account,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for ApiAccount {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(WebError::Unauthorized)?;
        let account = state
            .app
            .account(token, SessionKind::Api)
            .await?
            .ok_or(WebError::Unauthorized)?;
        Ok(ApiAccount {
            account,
            lang: request_lang(&parts.headers),
        })
    }
}

/// A ΔΨΠ (or an auditor, reading) authenticated by a bearer token: the capability every API
/// handler acts through, limited to the ΔΨΠ's organisations.
pub struct ApiCaller {
    pub admin: Administrator,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ApiAccount { account, lang } = ApiAccount::from_request_parts(parts, state).await?;
        // An API login refuses such an account; this covers a token older than the refusal.
        if account.pending_setup().is_some() {
            return Err(WebError::AccountSetupRequired);
        }
        Ok(ApiCaller {
            admin: account.into_administrator()?,
            lang,
        })
    }
}

/// An [`ApiCaller`] whose role may act on applications (not an auditor): refused with 403
/// before the request's body is read, so a read-only role learns nothing of its validation.
pub struct ApiActor(pub ApiCaller);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = ApiCaller::from_request_parts(parts, state).await?;
        caller.admin.may_act()?;
        Ok(ApiActor(caller))
    }
}
