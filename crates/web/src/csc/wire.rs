//! What the CSC API's calls share: the error shape (`{"error", "error_description"}`), the
//! request's language and version, its JSON body, and the bearer token's holder.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use certdesk_app::AppError;
use certdesk_app::signer::Holder;
use certdesk_domain::Lang;
use certdesk_domain::remote_signing::Digest;
use certdesk_domain::validation::{Field, Problem, ValidationError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Version;
use super::texts::{at_parameter, csc_texts, unsupported};
use crate::AppState;
use crate::error::{WebError, request_lang};

/// A CSC error, as every call answers one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorAnswer {
    /// `invalid_request` (a parameter missing, malformed or not acceptable, named in the
    /// description; a SAD that does not sign what was asked), `invalid_token` (no valid bearer
    /// token), `invalid_grant` (wrong username or signing password), `invalid_otp` (a wrong or
    /// used one-time code), `access_denied` (the certificate does not sign: revoked, expired,
    /// not issued), `too_many_attempts`, `server_error`, `temporarily_unavailable`.
    pub error: String,
    /// What went wrong, naming the parameter; in Greek unless `Accept-Language` asks for
    /// English.
    pub error_description: String,
}

/// Why a call failed, before it is written in the request's language.
#[derive(Debug)]
pub enum Failure {
    Web(WebError),
    /// No bearer token, or one that is unknown, expired or revoked.
    InvalidToken,
    /// `auth/login` without HTTP Basic credentials.
    BasicRequired,
    /// `credentials/sendOTP` for a code that the authenticator app makes.
    OtpOffline,
    /// No such method, or not with this HTTP method.
    UnknownMethod,
    MethodNotAllowed,
    /// A value certdesk does not serve, of a parameter the domain has no field for.
    Unsupported {
        parameter: &'static str,
        expected: &'static str,
    },
    /// A parameter of one of `signDoc`'s documents (`documents[index]`).
    AtDocument {
        index: usize,
        error: ValidationError,
    },
}

impl From<WebError> for Failure {
    fn from(error: WebError) -> Self {
        Failure::Web(error)
    }
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Failure::Web(error.into())
    }
}

impl From<ValidationError> for Failure {
    fn from(error: ValidationError) -> Self {
        Failure::Web(error.into())
    }
}

/// A failure written in a language, for a version.
pub struct CscError {
    failure: Failure,
    lang: Lang,
    version: Version,
}

impl CscError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        let error = match &self.failure {
            Failure::Web(error) => error,
            Failure::InvalidToken => return (StatusCode::UNAUTHORIZED, "invalid_token"),
            Failure::BasicRequired => return (StatusCode::UNAUTHORIZED, "invalid_request"),
            Failure::OtpOffline | Failure::Unsupported { .. } | Failure::AtDocument { .. } => {
                return (StatusCode::BAD_REQUEST, "invalid_request");
            }
            Failure::UnknownMethod => return (StatusCode::NOT_FOUND, "invalid_request"),
            Failure::MethodNotAllowed => {
                return (StatusCode::METHOD_NOT_ALLOWED, "invalid_request");
            }
        };
        let status = error.status();
        let code = match error {
            WebError::App(AppError::WrongCredentials) | WebError::InvalidCredentials => {
                return (StatusCode::BAD_REQUEST, "invalid_grant");
            }
            WebError::App(AppError::Invalid(e))
                if e.field == Field::Otp && e.problem == Problem::Incorrect =>
            {
                return (StatusCode::BAD_REQUEST, "invalid_otp");
            }
            WebError::App(AppError::CannotSign(_)) => "access_denied",
            WebError::App(AppError::Throttled) => "too_many_attempts",
            WebError::Unauthorized => "invalid_token",
            _ if status == StatusCode::SERVICE_UNAVAILABLE => "temporarily_unavailable",
            _ if status.is_server_error() => "server_error",
            _ => "invalid_request",
        };
        // CSC answers a request it cannot take with 400, whatever certdesk's other APIs say.
        let status = match status {
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => StatusCode::BAD_REQUEST,
            other => other,
        };
        (status, code)
    }

    fn description(&self) -> String {
        let (lang, t) = (self.lang, csc_texts(self.lang));
        let error = match &self.failure {
            Failure::Web(error) => error,
            Failure::InvalidToken => return t.invalid_token.to_owned(),
            Failure::BasicRequired => return t.basic_required.to_owned(),
            Failure::OtpOffline => return t.otp_offline.to_owned(),
            Failure::UnknownMethod => return t.unknown_method.to_owned(),
            Failure::MethodNotAllowed => return t.method_not_allowed.to_owned(),
            Failure::Unsupported {
                parameter,
                expected,
            } => return unsupported(parameter, expected, lang),
            Failure::AtDocument { index, error } => {
                let parameter =
                    format!("documents[{index}].{}", self.version.parameter(error.field));
                return at_parameter(&parameter, &error.message(lang), lang);
            }
        };
        let field = match error {
            WebError::App(AppError::Invalid(e)) => Some(e.field),
            WebError::App(AppError::InvalidFields(errors)) => errors.first().map(|e| e.field),
            WebError::App(AppError::SadRefused(refusal)) => Some(refusal.field()),
            // A batch's problem (how many, how large in all); a document's names it.
            WebError::App(AppError::DocumentRefused { name, .. }) if name.is_empty() => {
                Some(Field::Documents)
            }
            _ => None,
        };
        let message = error.message(lang);
        match field {
            Some(field) => at_parameter(self.version.parameter(field), &message, lang),
            None => message,
        }
    }
}

impl IntoResponse for CscError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(failure = ?self.failure, "the CSC API failed");
        }
        let body = ErrorAnswer {
            error: code.to_owned(),
            error_description: self.description(),
        };
        let mut response = (status, Json(body)).into_response();
        let challenge = match (&self.failure, status) {
            (Failure::BasicRequired, _) => Some("Basic realm=\"certdesk\", charset=\"UTF-8\""),
            (_, StatusCode::UNAUTHORIZED) => Some("Bearer error=\"invalid_token\""),
            _ => None,
        };
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        response
    }
}

/// The request's language and version: what an error is written in.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub lang: Lang,
    pub version: Version,
}

impl Ctx {
    fn of(headers: &axum::http::HeaderMap, extensions: &axum::http::Extensions) -> Ctx {
        Ctx {
            lang: request_lang(headers),
            version: extensions.get::<Version>().copied().unwrap_or(Version::V1),
        }
    }

    /// Writes a failure in this request's language.
    pub fn fail(self) -> impl Fn(Failure) -> CscError {
        move |failure| CscError {
            failure,
            lang: self.lang,
            version: self.version,
        }
    }

    /// The result of a call, its failure written in this request's language.
    pub fn answer<T>(self, result: Result<T, Failure>) -> Result<T, CscError> {
        result.map_err(self.fail())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx::of(&parts.headers, &parts.extensions))
    }
}

/// A JSON object as the body; an empty body is the object with every parameter left out. A
/// parameter of the wrong type is named (serde_path_to_error finds its path).
pub struct CscJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for CscJson<T> {
    type Rejection = CscError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::of(req.headers(), req.extensions());
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ctx.fail()(WebError::PayloadTooLarge.into()));
            }
            Err(_) => return Err(ctx.fail()(WebError::BodyUnreadable.into())),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(CscJson(T::default()));
        }
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ctx.fail()(WebError::NotAnObject.into()));
        }
        let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(deserializer)
            .map(CscJson)
            .map_err(|error| {
                let failure = match error.inner().classify() {
                    serde_json::error::Category::Data => WebError::WrongShape {
                        field: Some(error.path().to_string()).filter(|p| p != "."),
                    },
                    _ => WebError::MalformedJson,
                };
                ctx.fail()(failure.into())
            })
    }
}

/// The holder whose bearer token the request carries.
pub struct CscCaller {
    pub holder: Holder,
    pub token: String,
}

impl FromRequestParts<AppState> for CscCaller {
    type Rejection = CscError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::of(&parts.headers, &parts.extensions);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ctx.fail()(Failure::InvalidToken))?
            .to_owned();
        match state.app.csc_holder(&token).await {
            Ok(Some(holder)) => Ok(CscCaller { holder, token }),
            Ok(None) => Err(ctx.fail()(Failure::InvalidToken)),
            Err(error) => Err(ctx.fail()(error.into())),
        }
    }
}

/// A parameter that either version may name: `v1`'s or `v2`'s name, not two different values.
pub fn either<T: PartialEq>(
    field: Field,
    v1: Option<T>,
    v2: Option<T>,
) -> Result<Option<T>, Failure> {
    match (v1, v2) {
        (Some(a), Some(b)) if a != b => Err(ValidationError::new(field, Problem::Repeated).into()),
        (a, b) => Ok(a.or(b)),
    }
}

/// The hashes of a request (`hash` or `hashes`): 1 to 100 base64 SHA-256 digests.
pub fn hashes(v1: Option<Vec<String>>, v2: Option<Vec<String>>) -> Result<Vec<Digest>, Failure> {
    let texts = either(Field::Hash, v1, v2)?.unwrap_or_default();
    Ok(Digest::list_from_base64(
        Field::Hash,
        texts.iter().map(String::as_str),
    )?)
}

/// The hashes of a request that may name none (`credentials/authorize`): none when neither
/// `hash` nor `hashes` is given or the list is empty, otherwise as [`hashes`].
pub fn optional_hashes(
    v1: Option<Vec<String>>,
    v2: Option<Vec<String>>,
) -> Result<Vec<Digest>, Failure> {
    match either(Field::Hash, v1, v2)? {
        Some(texts) if !texts.is_empty() => hashes(Some(texts), None),
        _ => Ok(Vec::new()),
    }
}

pub async fn unknown_method(ctx: Ctx) -> CscError {
    ctx.fail()(Failure::UnknownMethod)
}

pub async fn method_not_allowed(ctx: Ctx) -> CscError {
    ctx.fail()(Failure::MethodNotAllowed)
}
