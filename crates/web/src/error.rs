//! Errors of the JSON API: always `{"error":{"code","message","field"?}}`, the message in Greek
//! unless the request asked for English.
//!
//! Policy: the client's mistakes are 4xx with a message that names the field and the reason;
//! a refused transition is 409; what the caller may not see is 404; the database being away is
//! 503. Anything else is a 500 whose details go to the log, never to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use certdesk_domain::Lang;
use certdesk_domain::validation::ValidationError;
use certdesk_store::StoreError;
use certdesk_store::workflow::WorkflowError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
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

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn validation(error: &ValidationError, lang: Lang) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            error.message(lang),
        )
        .with_field(error.field)
    }

    pub fn unauthorized(lang: Lang) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            lang.pick(
                "Απαιτείται σύνδεση: στείλτε ένα έγκυρο διακριτικό (Authorization: Bearer …).",
                "Authentication required: send a valid token (Authorization: Bearer …).",
            ),
        )
    }

    pub fn not_found(lang: Lang) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            lang.pick("Δεν βρέθηκε.", "Not found."),
        )
    }

    pub fn store(error: StoreError, lang: Lang) -> ApiError {
        match error {
            StoreError::NotFound => ApiError::not_found(lang),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    lang.pick(
                        "Η βάση δεδομένων δεν είναι διαθέσιμη αυτή τη στιγμή. Δοκιμάστε ξανά σε λίγο.",
                        "The database is unavailable right now. Please try again shortly.",
                    ),
                )
            }
            StoreError::Conflict => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                lang.pick(
                    "Η αίτηση άλλαξε ταυτόχρονα από άλλον χρήστη. Ανανεώστε και δοκιμάστε ξανά.",
                    "The application was changed by someone else meanwhile. Reload and try again.",
                ),
            ),
            StoreError::Duplicate(field) => ApiError::validation(
                &ValidationError::new(field, certdesk_domain::validation::Problem::Taken),
                lang,
            )
            .with_status(StatusCode::CONFLICT, "duplicate"),
            StoreError::OpenApplicationExists => open_application_exists(lang),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    lang.pick(
                        "Παρουσιάστηκε εσωτερικό σφάλμα.",
                        "An internal error occurred.",
                    ),
                )
            }
        }
    }

    pub fn workflow(error: WorkflowError, lang: Lang) -> ApiError {
        match error {
            WorkflowError::NotFound => ApiError::not_found(lang),
            WorkflowError::Rule(rule) => {
                let status = match rule {
                    certdesk_domain::DomainError::NotPermitted { .. } => StatusCode::FORBIDDEN,
                    _ => StatusCode::CONFLICT,
                };
                ApiError::new(status, rule.code(), rule.message(lang))
            }
            WorkflowError::OpenApplicationExists => open_application_exists(lang),
            WorkflowError::Store(store) => ApiError::store(store, lang),
        }
    }

    fn with_status(mut self, status: StatusCode, code: &'static str) -> ApiError {
        self.status = status;
        self.code = code;
        self
    }
}

fn open_application_exists(lang: Lang) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "open_application_exists",
        lang.pick(
            "Ο υπάλληλος έχει ήδη ανοιχτή αίτηση έκδοσης ψηφιακού πιστοποιητικού.",
            "The employee already has an open certificate application.",
        ),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
