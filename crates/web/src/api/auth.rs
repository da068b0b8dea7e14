use axum::Json;
use axum::extract::State;
use certdesk_app::AppError;
use certdesk_app::admin::LoginOutcome;
use certdesk_store::SessionKind;

use super::views::{LoginRequest, LoginResponse};
use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::{ApiJson, ClientAddress};

/// Logs a ΔΨΠ in and returns a bearer token for the other calls.
#[utoipa::path(
    post,
    path = "/auth/login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 400, description = "The body is not JSON (`malformed_json`) or cannot be read (`bad_request`); a JSON body of the wrong shape is 422 `invalid_field`", body = ErrorBody),
        (status = 401, description = "Wrong username, password or code", body = ErrorBody),
        (status = 422, description = "A JSON body of the wrong shape (`invalid_field`, naming the field)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this username or from this address; try again later", body = ErrorBody),
    ),
    tag = "auth"
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, WebError> {
    match state
        .app
        .log_in(&request.username, &request.password, SessionKind::Api, from)
        .await?
    {
        LoginOutcome::LoggedIn(session) => Ok(Json(LoginResponse {
            token: session.token,
            expires_at: session.expires_at,
        })),
        LoginOutcome::WrongCredentials => Err(WebError::InvalidCredentials),
        LoginOutcome::Throttled => Err(AppError::Throttled.into()),
    }
}
