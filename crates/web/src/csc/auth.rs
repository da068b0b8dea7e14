//! `info`, `auth/login` (HTTP Basic: the username and the signing password) and `auth/revoke`.

use axum::Json;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::texts::csc_texts;
use super::wire::{CscCaller, CscError, CscJson, Ctx, ErrorAnswer, Failure};
use crate::AppState;
use crate::extract::ClientAddress;

#[derive(Serialize, ToSchema)]
pub struct ServiceInfo {
    /// The specification served: `1.0.4.0` under `/csc/v1`, `2.0.0.2` under `/csc/v2`.
    pub specs: String,
    pub name: String,
    pub region: String,
    /// The language of `description`.
    pub lang: String,
    pub description: String,
    /// `["basic"]`: `auth/login` with HTTP Basic.
    #[serde(rename = "authType")]
    pub auth_type: Vec<String>,
    pub methods: Vec<String>,
}

/// What the service is and which methods it serves (no token needed).
#[utoipa::path(
    post,
    path = "/info",
    operation_id = "info",
    responses((status = 200, body = ServiceInfo)),
    tag = "csc"
)]
pub async fn info(ctx: Ctx) -> Json<ServiceInfo> {
    service_info(ctx)
}

/// `info` by GET, for clients that ask so.
#[utoipa::path(
    get,
    path = "/info",
    operation_id = "info_get",
    responses((status = 200, body = ServiceInfo)),
    tag = "csc"
)]
pub async fn info_get(ctx: Ctx) -> Json<ServiceInfo> {
    service_info(ctx)
}

fn service_info(ctx: Ctx) -> Json<ServiceInfo> {
    let mut methods = vec![
        "auth/login",
        "auth/revoke",
        "credentials/list",
        "credentials/info",
        "credentials/sendOTP",
        "credentials/authorize",
        "signatures/signHash",
    ];
    if ctx.version.serves_sign_doc() {
        methods.push("signatures/signDoc");
    }
    Json(ServiceInfo {
        specs: ctx.version.specs().to_owned(),
        name: "certdesk".to_owned(),
        region: "GR".to_owned(),
        lang: ctx.lang.code().to_owned(),
        description: csc_texts(ctx.lang).service.to_owned(),
        auth_type: vec!["basic".to_owned()],
        methods: methods.iter().map(|m| (*m).to_owned()).collect(),
    })
}

/// The optional body of `auth/login` (no refresh tokens are given).
#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct LoginRequest {
    /// Accepted and ignored: tokens last `expires_in` either way.
    #[serde(rename = "rememberMe", default)]
    pub remember_me: Option<bool>,
    #[serde(rename = "clientData", default)]
    pub client_data: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginAnswer {
    /// The bearer token of the other calls (`Authorization: Bearer …`).
    pub access_token: String,
    /// Seconds the token lasts.
    pub expires_in: i64,
}

/// Logs the holder in with HTTP Basic (`Authorization: Basic`, the username and the signing
/// password, UTF-8) and returns a bearer token. Wrong passwords count against the same throttle
/// as the other signing APIs'; a certificate that does not sign gets no token.
#[utoipa::path(
    post,
    path = "/auth/login",
    operation_id = "auth_login",
    request_body(content = Option<LoginRequest>, description = "Optional"),
    responses(
        (status = 200, body = LoginAnswer),
        (status = 400, description = "`invalid_grant`: wrong username or signing password; `invalid_request`: a parameter is malformed", body = ErrorAnswer),
        (status = 401, description = "`invalid_request`: no HTTP Basic credentials", body = ErrorAnswer),
        (status = 403, description = "`access_denied`: the certificate does not sign (revoked, expired, not issued)", body = ErrorAnswer),
        (status = 429, description = "`too_many_attempts`", body = ErrorAnswer),
    ),
    security(("basic" = [])),
    tag = "csc"
)]
pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    CscJson(_body): CscJson<LoginRequest>,
) -> Result<Json<LoginAnswer>, CscError> {
    let (username, password) =
        basic_credentials(&headers).ok_or_else(|| ctx.fail()(Failure::BasicRequired))?;
    let login = state
        .app
        .csc_login(&username, &password, address)
        .await
        .map_err(|e| ctx.fail()(e.into()))?;
    Ok(Json(LoginAnswer {
        access_token: login.access_token,
        expires_in: login.expires_in,
    }))
}

/// `Authorization: Basic base64(username:password)`, UTF-8.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (username, password) = decoded.split_once(':')?;
    Some((username.to_owned(), password.to_owned()))
}

#[derive(Deserialize, Default, ToSchema)]
#[allow(dead_code)]
pub struct RevokeRequest {
    /// The token to revoke; the request's own when left out.
    #[serde(default)]
    pub token: Option<String>,
    /// `access_token` (there are no refresh tokens).
    #[serde(default)]
    pub token_type_hint: Option<String>,
    #[serde(rename = "clientData", default)]
    pub client_data: Option<String>,
}

/// Revokes a bearer token (the request's own unless `token` names another): it is refused
/// afterwards.
#[utoipa::path(
    post,
    path = "/auth/revoke",
    operation_id = "auth_revoke",
    request_body(content = Option<RevokeRequest>, description = "Optional"),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "`invalid_token`", body = ErrorAnswer),
    ),
    security(("bearer" = [])),
    tag = "csc"
)]
pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: CscCaller,
    CscJson(request): CscJson<RevokeRequest>,
) -> Result<StatusCode, CscError> {
    let token = request
        .token
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(caller.token);
    state
        .app
        .csc_logout(token.trim())
        .await
        .map_err(|e| ctx.fail()(e.into()))?;
    Ok(StatusCode::NO_CONTENT)
}
