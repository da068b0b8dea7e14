//! Request extractors of the JSON API whose failures answer in the API's error format.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION};
use axum::http::request::Parts;
use certdesk_domain::Lang;
use certdesk_store::{Scope, SessionRecord, credentials::token_hash};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The language of an API answer: English when `Accept-Language` prefers it, Greek otherwise.
pub struct ApiLang(pub Lang);

pub fn api_lang(parts: &Parts) -> Lang {
    parts
        .headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiLang(api_lang(parts)))
    }
}

/// A JSON body; malformed, oversized or mistyped bodies get a clear 4xx.
pub struct ApiJson<T>(pub T);

/// A JSON body that may be left out entirely (then `T::default()`).
pub struct ApiJsonOrDefault<T>(pub T);

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<(Bytes, Lang), ApiError> {
    let (parts, body) = req.into_parts();
    let lang = api_lang(&parts);
    let req = Request::from_parts(parts, body);
    match Bytes::from_request(req, state).await {
        Ok(bytes) => Ok((bytes, lang)),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(too_large(lang))
        }
        Err(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            lang.pick(
                "Το σώμα του αιτήματος δεν μπορεί να διαβαστεί.",
                "The request body cannot be read.",
            ),
        )),
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8], lang: Lang) -> Result<T, ApiError> {
    // serde's derived structs also accept a JSON array of the fields in order; the API's
    // bodies are objects (SPEC §7), so anything else is refused before it can act.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                lang.pick(
                    "Το σώμα του αιτήματος πρέπει να είναι αντικείμενο JSON ({…}) με τα πεδία του αιτήματος.",
                    "The request body must be a JSON object ({…}) with the request's fields.",
                ),
            ),
            Err(error) => json_error(&error, lang),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| json_error(&e, lang))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (bytes, lang) = body_bytes(req, state).await?;
        parse_json(&bytes, lang).map(ApiJson)
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for ApiJsonOrDefault<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (bytes, lang) = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ApiJsonOrDefault(T::default()));
        }
        parse_json(&bytes, lang).map(ApiJsonOrDefault)
    }
}

fn json_error(error: &serde_json::Error, lang: Lang) -> ApiError {
    match error.classify() {
        serde_json::error::Category::Data => {
            let field = field_of_serde_message(&error.to_string());
            let mut api_error = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                match (lang, &field) {
                    (Lang::El, Some(f)) => format!("Το πεδίο «{f}» λείπει ή δεν έχει τον σωστό τύπο."),
                    (Lang::En, Some(f)) => format!("The field “{f}” is missing or has the wrong type."),
                    (Lang::El, None) => "Τα δεδομένα JSON δεν έχουν την αναμενόμενη μορφή (αναμένεται αντικείμενο με τα πεδία του αιτήματος).".to_owned(),
                    (Lang::En, None) => "The JSON data does not have the expected shape (an object with the request's fields).".to_owned(),
                },
            );
            api_error.field = field;
            api_error
        }
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            lang.pick(
                "Το σώμα του αιτήματος δεν είναι έγκυρο JSON.",
                "The request body is not valid JSON.",
            ),
        ),
    }
}

pub fn too_large(lang: Lang) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        lang.pick(
            "Το σώμα του αιτήματος είναι πολύ μεγάλο (έως 64 KiB).",
            "The request body is too large (64 KiB at most).",
        ),
    )
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
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = api_lang(parts);
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
                let mut error = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    match (lang, &field) {
                        (Lang::El, Some(f)) => format!("Η παράμετρος «{f}» δεν έχει έγκυρη τιμή."),
                        (Lang::En, Some(f)) => format!("The parameter “{f}” has an invalid value."),
                        (Lang::El, None) => {
                            "Οι παράμετροι της αναζήτησης δεν είναι έγκυρες.".to_owned()
                        }
                        (Lang::En, None) => "The search parameters are invalid.".to_owned(),
                    },
                );
                error.field = field;
                Err(error)
            }
            Err(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                lang.pick("Μη έγκυρο αίτημα.", "Invalid request."),
            )),
        }
    }
}

/// A ΔΨΠ authenticated by `Authorization: Bearer <token>`.
pub struct ApiCaller {
    pub session: SessionRecord,
    pub lang: Lang,
}

impl ApiCaller {
    pub fn scope(&self) -> Scope {
        Scope::Organisations(self.session.organisation_ids.clone())
    }

    pub fn actor(&self) -> certdesk_domain::Actor {
        certdesk_domain::Actor::administrator(
            self.session.administrator_id,
            self.session.full_name.clone(),
        )
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = api_lang(parts);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized(lang))?;
        let session = state
            .store
            .session(&token_hash(token), state.clock.now())
            .await
            .map_err(|e| ApiError::store(e, lang))?
            .filter(|s| s.kind == "api")
            .ok_or_else(|| ApiError::unauthorized(lang))?;
        Ok(ApiCaller { session, lang })
    }
}
