use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use certdesk_store::SessionKind;

use super::views::{LoginRequest, LoginResponse};
use crate::AppState;
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
    ),
    tag = "auth"
)]
pub async fn login(
    State(state): State<AppState>,
    ApiLang(lang): ApiLang,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let admin =
        crate::console::auth::check_credentials(&state, &request.username, &request.password)
            .await
            .map_err(|e| ApiError::store(e, lang))?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_credentials",
                    lang.pick(
                        "Λάθος όνομα χρήστη ή κωδικός.",
                        "Wrong username or password.",
                    ),
                )
            })?;
    let session = crate::console::auth::open_session(&state, admin.id, SessionKind::Api)
        .await
        .map_err(|e| ApiError::store(e, lang))?;
    Ok(Json(LoginResponse {
        token: session.token,
        expires_at: session.expires_at,
    }))
}
