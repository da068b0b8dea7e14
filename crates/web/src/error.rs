//! The one error type of the web layer, for the API, the console and the portal.
//!
//! Policy: the client's mistakes are 4xx with a message that names the field and the reason; a
//! refused transition is 409; what the caller may not see is 404; the database being away is
//! 503. Anything else is a 500 whose details go to the log, never to the client.
//!
//! A [`WebError`] holds no language: handlers turn any use-case error into one with `?`, and
//! the message is written in the reader's language where the response is made: the API's
//! [`localize`] layer reads `Accept-Language` (the body is `{"error":{"code","message",
//! "field"?}}`), and the console and the portal pass their language to [`WebError::message`].

use std::sync::Arc;

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use certdesk_app::AppError;
use certdesk_app::error::Registry;
use certdesk_domain::validation::{Problem, ValidationError};
use certdesk_domain::{DomainError, Lang};
use certdesk_store::StoreError;
use serde::Serialize;

use crate::portal::document_texts::document_texts;
use crate::portal::texts::portal_texts;
use crate::texts::errors::{errors, field_mistyped, parameter_invalid};

#[derive(Debug)]
pub enum WebError {
    /// What a use case answered.
    App(AppError),
    /// No valid session or token.
    Unauthorized,
    /// The username or the password is wrong.
    InvalidCredentials,
    /// The password was right, but the second factor's code is missing or wrong.
    OtpRequired,
    /// The account must first change its password or enrol its second factor in the console.
    AccountSetupRequired,
    /// No such address, or nothing the caller may see.
    NotFound,
    MethodNotAllowed,
    /// The body could not be read.
    BodyUnreadable,
    PayloadTooLarge,
    /// A CSV import's body beyond its own limit.
    CsvTooLarge,
    /// An import's body that is not `text/csv` in UTF-8 or Windows-1253.
    UnsupportedMediaType,
    MalformedJson,
    /// The body is JSON but not an object.
    NotAnObject,
    /// A field of the body is missing or mistyped (serde names it when it can).
    WrongShape {
        field: Option<String>,
    },
    /// A query-string parameter has an invalid value.
    InvalidQuery {
        field: Option<String>,
    },
    /// No employee of the caller's organisations has the ΑΦΜ of the request.
    UnknownAfm,
}

impl From<AppError> for WebError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound => WebError::NotFound,
            other => WebError::App(other),
        }
    }
}

impl From<ValidationError> for WebError {
    fn from(error: ValidationError) -> Self {
        WebError::App(AppError::Invalid(error))
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        WebError::from(AppError::from(error))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable code, e.g. `not_cancellable`, `invalid_field`, `unauthorized`.
    pub code: String,
    /// What went wrong, in Greek (English with `Accept-Language: en`).
    pub message: String,
    /// The field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::App(error) => app_status(error),
            WebError::Unauthorized | WebError::InvalidCredentials | WebError::OtpRequired => {
                StatusCode::UNAUTHORIZED
            }
            WebError::AccountSetupRequired => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            WebError::BodyUnreadable | WebError::MalformedJson | WebError::InvalidQuery { .. } => {
                StatusCode::BAD_REQUEST
            }
            WebError::PayloadTooLarge | WebError::CsvTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::NotAnObject | WebError::WrongShape { .. } | WebError::UnknownAfm => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WebError::App(error) => app_code(error),
            WebError::Unauthorized => "unauthorized",
            WebError::InvalidCredentials => "invalid_credentials",
            WebError::OtpRequired => "otp_required",
            WebError::AccountSetupRequired => "account_setup_required",
            WebError::NotFound => "not_found",
            WebError::MethodNotAllowed => "method_not_allowed",
            WebError::BodyUnreadable => "bad_request",
            WebError::PayloadTooLarge | WebError::CsvTooLarge => "payload_too_large",
            WebError::UnsupportedMediaType => "unsupported_media_type",
            WebError::MalformedJson => "malformed_json",
            WebError::NotAnObject | WebError::WrongShape { .. } => "invalid_field",
            WebError::InvalidQuery { .. } => "invalid_query",
            WebError::UnknownAfm => "unknown_afm",
        }
    }

    /// The field at fault, by its name in the API.
    pub fn field(&self) -> Option<String> {
        match self {
            WebError::App(AppError::Invalid(e)) => Some(e.field.name().to_owned()),
            WebError::App(AppError::InvalidFields(errors)) => {
                errors.first().map(|e| e.field.name().to_owned())
            }
            WebError::App(AppError::Store(StoreError::Duplicate(field))) => {
                Some(field.name().to_owned())
            }
            WebError::App(AppError::SadRefused(refusal)) => Some(refusal.field().name().to_owned()),
            WebError::WrongShape { field } | WebError::InvalidQuery { field } => field.clone(),
            WebError::UnknownAfm => Some("afm".to_owned()),
            _ => None,
        }
    }

    /// What went wrong, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let t = errors(lang);
        let text = match self {
            WebError::App(error) => return app_message(error, lang),
            WebError::WrongShape { field: Some(f) } => return field_mistyped(f, lang),
            WebError::InvalidQuery { field: Some(f) } => return parameter_invalid(f, lang),
            WebError::Unauthorized => t.unauthorized,
            WebError::InvalidCredentials => t.invalid_credentials,
            WebError::OtpRequired => t.otp_required,
            WebError::AccountSetupRequired => t.account_setup_required,
            WebError::NotFound => t.not_found,
            WebError::MethodNotAllowed => t.method_not_allowed,
            WebError::BodyUnreadable => t.body_unreadable,
            WebError::PayloadTooLarge => t.payload_too_large,
            WebError::CsvTooLarge => t.csv_too_large,
            WebError::UnsupportedMediaType => t.csv_media_type,
            WebError::MalformedJson => t.malformed_json,
            WebError::NotAnObject => t.not_an_object,
            WebError::WrongShape { field: None } => t.wrong_shape,
            WebError::InvalidQuery { field: None } => t.query_invalid,
            WebError::UnknownAfm => t.unknown_afm,
        };
        text.to_owned()
    }

    /// The API's body for this error, in `lang`.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.message(lang),
                field: self.field(),
            },
        }
    }

    /// Logs what the client is not told.
    fn log(&self) {
        match self {
            WebError::App(AppError::Store(StoreError::Unavailable(detail))) => {
                tracing::warn!(%detail, "database unavailable");
            }
            WebError::App(error) if self.status() == StatusCode::INTERNAL_SERVER_ERROR => {
                tracing::error!(%error, "internal error");
            }
            _ => {}
        }
    }
}

fn app_status(error: &AppError) -> StatusCode {
    match error {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Rule(DomainError::NotPermitted { .. }) => StatusCode::FORBIDDEN,
        AppError::Rule(_) | AppError::OpenApplicationExists | AppError::EnrolmentExpired => {
            StatusCode::CONFLICT
        }
        AppError::Invalid(_)
        | AppError::InvalidFields(_)
        | AppError::TotpCodesWrong
        | AppError::RecordsDisagree(_)
        | AppError::EmailProofRefused(_)
        | AppError::SadRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Throttled => StatusCode::TOO_MANY_REQUESTS,
        AppError::WrongCredentials => StatusCode::UNAUTHORIZED,
        AppError::DocumentRefused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::CannotSign(_) => StatusCode::FORBIDDEN,
        AppError::RegistryUnavailable(_) | AppError::RegistryMissing(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        AppError::TimestampFailed(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::LoginRefused | AppError::LoginStateInvalid => StatusCode::BAD_REQUEST,
        AppError::NotAtStep => StatusCode::CONFLICT,
        AppError::Configuration(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Store(StoreError::Conflict | StoreError::Duplicate(_)) => StatusCode::CONFLICT,
        AppError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
        AppError::Store(StoreError::OpenApplicationExists) => StatusCode::CONFLICT,
        AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn app_code(error: &AppError) -> &'static str {
    match error {
        AppError::NotFound | AppError::Store(StoreError::NotFound) => "not_found",
        AppError::Forbidden => "forbidden",
        AppError::Rule(rule) => rule.code(),
        AppError::Invalid(_) | AppError::InvalidFields(_) => "invalid_field",
        AppError::OpenApplicationExists | AppError::Store(StoreError::OpenApplicationExists) => {
            "open_application_exists"
        }
        AppError::Throttled => "too_many_attempts",
        AppError::WrongCredentials => "invalid_credentials",
        AppError::DocumentRefused { .. } => "document_refused",
        AppError::CannotSign(refusal) => refusal.code(),
        AppError::SadRefused(refusal) => refusal.code(),
        AppError::RegistryUnavailable(_) | AppError::RegistryMissing(_) => "registry_unavailable",
        AppError::TimestampFailed(_) => "timestamp_unavailable",
        AppError::LoginRefused => "login_refused",
        AppError::LoginStateInvalid => "login_state_invalid",
        AppError::NotAtStep => "not_at_step",
        AppError::EnrolmentExpired => "enrolment_expired",
        AppError::TotpCodesWrong => "totp_codes_wrong",
        AppError::RecordsDisagree(_) => "records_disagree",
        AppError::EmailProofRefused(_) => "email_proof_refused",
        AppError::Configuration(_) => "internal",
        AppError::Store(StoreError::Unavailable(_)) => "unavailable",
        AppError::Store(StoreError::Conflict) => "conflict",
        AppError::Store(StoreError::Duplicate(_)) => "duplicate",
        AppError::Store(_) => "internal",
    }
}

fn app_message(error: &AppError, lang: Lang) -> String {
    let (t, portal) = (errors(lang), portal_texts(lang));
    let text = match error {
        AppError::Rule(rule) => return rule.message(lang),
        AppError::Invalid(e) => return e.message(lang),
        AppError::RecordsDisagree(mismatches) => {
            return certdesk_domain::subject::disagreement_message(mismatches, lang);
        }
        AppError::EmailProofRefused(refused) => refused.message(lang),
        AppError::CannotSign(refusal) => refusal.message(lang),
        AppError::DocumentRefused { name, problem } => return problem.message(name, lang),
        AppError::SadRefused(refusal) => return refusal.message(lang),
        AppError::WrongCredentials => t.wrong_signing_credentials,
        AppError::InvalidFields(errors) => {
            let messages: Vec<String> = errors.iter().map(|e| e.message(lang)).collect();
            return messages.join(" ");
        }
        AppError::Store(StoreError::Duplicate(field)) => {
            return ValidationError::new(*field, Problem::Taken).message(lang);
        }
        AppError::NotFound | AppError::Store(StoreError::NotFound) => t.not_found,
        AppError::Forbidden => t.forbidden,
        AppError::OpenApplicationExists | AppError::Store(StoreError::OpenApplicationExists) => {
            t.open_application_exists
        }
        AppError::Throttled => t.too_many_logins,
        AppError::RegistryUnavailable(Registry::Tax) => portal.tax_registry_down,
        AppError::RegistryUnavailable(Registry::Police) => portal.police_registry_down,
        AppError::RegistryMissing(Registry::Tax) => portal.login_unavailable,
        AppError::RegistryMissing(Registry::Police) => portal.police_registry_missing,
        AppError::TimestampFailed(_) => document_texts(lang).timestamp_failed,
        AppError::LoginRefused => portal.login_refused,
        AppError::LoginStateInvalid => portal.login_state_invalid,
        AppError::NotAtStep | AppError::EnrolmentExpired => portal.enrolment_expired,
        AppError::TotpCodesWrong => portal.totp_codes_wrong,
        AppError::Store(StoreError::Unavailable(_)) => t.unavailable,
        AppError::Store(StoreError::Conflict) => t.conflict,
        AppError::Configuration(_) | AppError::Store(_) => t.internal,
    };
    text.to_owned()
}

/// Carries the error to [`localize`], which writes it in the request's language.
#[derive(Clone)]
struct Unlocalized(Arc<WebError>);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        // Greek, the product's language, unless `localize` rewrites it.
        let mut response = (self.status(), Json(self.body(Lang::El))).into_response();
        response
            .extensions_mut()
            .insert(Unlocalized(Arc::new(self)));
        response
    }
}

/// The language of an API answer: English when `Accept-Language` prefers it, Greek otherwise.
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// The API's layer that writes every error in the language the request asked for.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let response = next.run(request).await;
    if lang == Lang::El {
        return response;
    }
    match response.extensions().get::<Unlocalized>().cloned() {
        Some(Unlocalized(error)) => (error.status(), Json(error.body(lang))).into_response(),
        None => response,
    }
}
