use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use certdesk_domain::Command;
use certdesk_domain::transition::RevocationCategory;
use certdesk_domain::validation::{Afm, Email, Mobile, Reason};
use certdesk_store::workflow::{WorkflowError, perform, start_application};

use super::employees::application_view;
use super::views::{
    ApplicationView, CancelRequest, NewApplicationRequest, RejectRequest, RevokeRequest,
};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiCaller, ApiJson, ApiJsonOrDefault};

/// Starts the issuance process for an employee of the caller's organisations.
#[utoipa::path(
    post,
    path = "/api/v1/applications",
    request_body = NewApplicationRequest,
    responses(
        (status = 201, description = "Started: awaiting_data_check", body = ApplicationView),
        (status = 401, body = ErrorBody),
        (status = 409, description = "The employee has an open application", body = ErrorBody),
        (status = 422, description = "Invalid or unknown ΑΦΜ, invalid email or mobile", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<NewApplicationRequest>,
) -> Result<(StatusCode, Json<ApplicationView>), ApiError> {
    let lang = caller.lang;
    let invalid = |e: certdesk_domain::validation::ValidationError| ApiError::validation(&e, lang);
    let afm = Afm::parse(&request.afm).map_err(invalid)?;
    let email = Email::parse(&request.email).map_err(invalid)?;
    let mobile = match request
        .mobile
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) => Some(Mobile::parse(m).map_err(invalid)?),
        None => None,
    };
    let scope = caller.scope();
    let app = start_application(
        state.store.as_ref(),
        &scope,
        &afm,
        &email,
        mobile.as_ref(),
        &caller.actor(),
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        WorkflowError::NotFound => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_afm",
            lang.pick(
                "ΑΦΜ: δεν βρέθηκε υπάλληλος των φορέων σας με αυτόν τον ΑΦΜ.",
                "Tax number (AFM): no employee of your organisations has this AFM.",
            ),
        )
        .with_field("afm"),
        other => ApiError::workflow(other, lang),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(application_view(&state, &scope, app.id, lang).await?),
    ))
}

async fn act(
    state: &AppState,
    caller: &ApiCaller,
    id: &str,
    command: Command,
) -> Result<Json<ApplicationView>, ApiError> {
    let lang = caller.lang;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found(lang))?;
    let scope = caller.scope();
    perform(
        state.store.as_ref(),
        &scope,
        id,
        &command,
        &caller.actor(),
        state.clock.now(),
    )
    .await
    .map_err(|e| ApiError::workflow(e, lang))?;
    Ok(Json(application_view(state, &scope, id, lang).await?))
}

/// Cancels the issuance while the application is pending (SPEC §3).
#[utoipa::path(
    post,
    path = "/api/v1/applications/{id}/cancel",
    params(("id" = i64, Path, description = "Application id")),
    request_body(content = CancelRequest, description = "Optional; may be left out"),
    responses(
        (status = 200, description = "Cancelled: the application is rejected", body = ApplicationView),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such application in the caller's organisations", body = ErrorBody),
        (status = 409, description = "`not_cancellable`: the application is not pending", body = ErrorBody),
        (status = 422, description = "Reason longer than 500 characters", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJsonOrDefault(request): ApiJsonOrDefault<CancelRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let reason = Reason::parse_optional(request.reason.as_deref())
        .map_err(|e| ApiError::validation(&e, caller.lang))?;
    act(&state, &caller, &id, Command::Cancel { reason }).await
}

/// Approves an application awaiting approval.
#[utoipa::path(
    post,
    path = "/api/v1/applications/{id}/approve",
    params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, body = ApplicationView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not awaiting approval", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn approve(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    act(&state, &caller, &id, Command::Approve).await
}

/// Rejects an application awaiting approval, with a mandatory reason.
#[utoipa::path(
    post,
    path = "/api/v1/applications/{id}/reject",
    params(("id" = i64, Path, description = "Application id")),
    request_body = RejectRequest,
    responses(
        (status = 200, body = ApplicationView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not awaiting approval", body = ErrorBody),
        (status = 422, description = "Missing or too long reason", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn reject(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RejectRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let reason = Reason::parse_required(request.reason.as_deref())
        .map_err(|e| ApiError::validation(&e, caller.lang))?;
    act(&state, &caller, &id, Command::Reject { reason }).await
}

/// The certificate of an issued application, with the issuing CA's and the root's after it.
#[utoipa::path(
    get,
    path = "/api/v1/applications/{id}/certificate",
    params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, description = "The certificate chain as PEM: the certificate, the issuing CA, the root CA", content_type = "application/pem-certificate-chain", body = String),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such application, not the caller's, or no certificate (yet)", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn certificate(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let lang = caller.lang;
    let not_found = || ApiError::not_found(lang);
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let store_error = |e| ApiError::store(e, lang);
    let application = state
        .store
        .application(&caller.scope(), id)
        .await
        .map_err(store_error)?
        .ok_or_else(not_found)?;
    let certificate = state
        .store
        .certificate(application.id)
        .await
        .map_err(store_error)?
        .ok_or_else(not_found)?;
    let mut chain = certdesk_ca::certificate_pem(&certificate.der);
    if let Some(ca) = state.store.authority().await.map_err(store_error)? {
        chain.push_str(&certdesk_ca::certificate_pem(&ca.issuing_der));
        chain.push_str(&certdesk_ca::certificate_pem(&ca.root_der));
    }
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pem-certificate-chain".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"certificate-{}.pem\"",
                    certificate.serial
                ),
            ),
        ],
        chain,
    )
        .into_response())
}

/// Revokes an issued certificate («Ανάκληση πιστοποιητικού»): a mandatory category, an optional
/// description. The certificate is listed in the CRL and answered as revoked by OCSP; its key is
/// destroyed; the employee is told.
#[utoipa::path(
    post,
    path = "/api/v1/applications/{id}/revoke",
    params(("id" = i64, Path, description = "Application id")),
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "Revoked", body = ApplicationView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not issued (code not_revocable)", body = ErrorBody),
        (status = 422, description = "Missing or unknown category, too long description", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RevokeRequest>,
) -> Result<Json<ApplicationView>, ApiError> {
    let lang = caller.lang;
    let category =
        parse_category(request.category.as_deref()).map_err(|e| ApiError::validation(&e, lang))?;
    let description = parse_description(request.description.as_deref())
        .map_err(|e| ApiError::validation(&e, lang))?;
    act(
        &state,
        &caller,
        &id,
        Command::Revoke {
            category,
            description,
        },
    )
    .await
}

/// The optional «Περιγραφή» of a revocation (a reason by its rules, named as itself).
pub fn parse_description(
    input: Option<&str>,
) -> Result<Option<Reason>, certdesk_domain::validation::ValidationError> {
    Reason::parse_optional(input)
        .map_err(|e| certdesk_domain::validation::ValidationError::new("description", e.problem))
}

/// The revocation category of a form or a request.
pub fn parse_category(
    code: Option<&str>,
) -> Result<RevocationCategory, certdesk_domain::validation::ValidationError> {
    use certdesk_domain::validation::{Problem, ValidationError};
    match code.map(str::trim) {
        None | Some("") => Err(ValidationError::new("category", Problem::Missing)),
        Some("employee_request") => Ok(RevocationCategory::EmployeeRequest),
        Some("authority_decision") => Ok(RevocationCategory::AuthorityDecision),
        Some(_) => Err(ValidationError::new("category", Problem::Format)),
    }
}
