use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use certdesk_store::SessionKind;

use super::views::{LoginRequest, LoginResponse};
use crate::AppState;
use crate::console::auth::{LoginOutcome, check_credentials};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiLang};

/// Logs a ΔΨΠ in and returns a bearer token for the other calls.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong username, password or code", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this username; try again later", body = ErrorBody),
    ),
    tag = "auth"
)]
pub async fn login(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let outcome = check_credentials(&state, &request.username, &request.password)
        .await
        .map_err(|e| ApiError::store(e, lang))?;
    let admin = match outcome {
        LoginOutcome::LoggedIn(admin) => admin,
        LoginOutcome::WrongCredentials => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                lang.pick(
                    "Λάθος όνομα χρήστη ή κωδικός.",
                    "Wrong username or password.",
                ),
            ));
        }
        LoginOutcome::Throttled => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                lang.pick(
                    "Πολλές αποτυχημένες προσπάθειες σύνδεσης. Δοκιμάστε ξανά σε 15 λεπτά.",
                    "Too many failed login attempts. Try again in 15 minutes.",
                ),
            ));
        }
    };
    let session = crate::console::auth::open_session(&state, admin.id, SessionKind::Api)
        .await
        .map_err(|e| ApiError::store(e, lang))?;
    Ok(Json(LoginResponse {
        token: session.token,
        expires_at: session.expires_at,
    }))
}
