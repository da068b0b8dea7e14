use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use certdesk_app::AppError;
use certdesk_app::admin::LoginOutcome;
use certdesk_store::SessionKind;

use super::views::{LoginRequest, LoginResponse};
use crate::AppState;
use crate::error::{ErrorBody, WebError};
use crate::extract::{ApiAccount, ApiJson, ClientAddress};

/// Logs a ΔΨΠ in and returns a bearer token for the other calls.
///
/// The password is checked first: a wrong username or password is `invalid_credentials`, and
/// only after a right password does the answer say `otp_required` (the account has a second
/// factor and `otp` is missing, wrong or used already) or `account_setup_required` (the first
/// password must be changed, or the second factor enrolled, in the console). Failed codes count
/// against the same throttle as wrong passwords. A token lasts its `expires_at`, and ends sooner
/// after 30 minutes without a request.
#[utoipa::path(
    post,
    path = "/auth/login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 400, description = "The body is not JSON (`malformed_json`) or cannot be read (`bad_request`); a JSON body of the wrong shape is 422 `invalid_field`", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: wrong username or password; `otp_required`: the password is right but the account's second factor (`otp`: a TOTP code or a recovery code) is missing or wrong", body = ErrorBody),
        (status = 403, description = "`account_setup_required`: the account must first change its initial password or enrol its second factor in the console (/login)", body = ErrorBody),
        (status = 422, description = "A JSON body of the wrong shape (`invalid_field`, naming the field)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (passwords and codes together) for this username or from this address; try again later", body = ErrorBody),
    ),
    tag = "auth"
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, WebError> {
    let otp = request.otp.as_deref().filter(|o| !o.trim().is_empty());
    match state
        .app
        .log_in(
            &request.username,
            &request.password,
            otp,
            SessionKind::Api,
            from,
        )
        .await?
    {
        LoginOutcome::LoggedIn(session) => Ok(Json(LoginResponse {
            token: session.token,
            expires_at: session.expires_at,
        })),
        LoginOutcome::WrongCredentials => Err(WebError::InvalidCredentials),
        LoginOutcome::OtpRequired => Err(WebError::OtpRequired),
        LoginOutcome::SetupRequired => Err(WebError::AccountSetupRequired),
        LoginOutcome::Throttled => Err(AppError::Throttled.into()),
    }
}

/// Revokes the bearer token of the request; it is refused afterwards.
#[utoipa::path(
    post,
    path = "/auth/logout",
    responses(
        (status = 204, description = "The token is revoked"),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "auth"
)]
pub async fn logout(caller: ApiAccount) -> Result<StatusCode, WebError> {
    caller.account.log_out().await?;
    Ok(StatusCode::NO_CONTENT)
}
