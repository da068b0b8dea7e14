use axum::Json;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use certdesk_app::AppError;
use certdesk_domain::Command;
use certdesk_domain::certificate::RevocationCategory;
use certdesk_domain::validation::{Afm, Email, Mobile, Reason};

use super::employees::application_view;
use super::views::{
    ApplicationView, CancelRequest, NewApplicationRequest, RejectRequest, RevokeRequest,
};
use crate::error::{ErrorBody, WebError};
use crate::extract::{ApiActor, ApiCaller, ApiJson, ApiJsonOrDefault};

/// Starts the issuance process for an employee of the caller's organisations.
#[utoipa::path(
    post,
    path = "/applications",
    request_body = NewApplicationRequest,
    responses(
        (status = 201, description = "Started: awaiting_data_check", body = ApplicationView,
            links(
                ("approve" = (operation_id = "approve", parameters(("id" = "$response.body#/id")), description = "Approve it once the beneficiary confirmed the data")),
                ("reject" = (operation_id = "reject", parameters(("id" = "$response.body#/id")))),
                ("cancel" = (operation_id = "cancel", parameters(("id" = "$response.body#/id")))),
                ("revoke" = (operation_id = "revoke", parameters(("id" = "$response.body#/id")), description = "Revoke its certificate once issued"))
            )
        ),
        (status = 400, description = "The body is not JSON (`malformed_json`) or cannot be read (`bad_request`); a JSON body of the wrong shape is 422 `invalid_field`", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's role may not act on applications (an operator; an auditor only reads), told before the body is read", body = ErrorBody),
        (status = 409, description = "The employee has an open application", body = ErrorBody),
        (status = 422, description = "Invalid or unknown ΑΦΜ, invalid email or mobile", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn create(
    ApiActor(caller): ApiActor,
    ApiJson(request): ApiJson<NewApplicationRequest>,
) -> Result<(StatusCode, Json<ApplicationView>), WebError> {
    let afm = Afm::parse(&request.afm)?;
    let email = Email::parse(&request.email)?;
    let mobile = match request
        .mobile
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) => Some(Mobile::parse(m)?),
        None => None,
    };
    let application = caller
        .admin
        .start_application(&afm, &email, mobile.as_ref())
        .await
        .map_err(|e| match e {
            AppError::NotFound => WebError::UnknownAfm,
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(application_view(&caller.admin, application.id, caller.lang).await?),
    ))
}

/// Applies a command to an application of the caller's organisations.
async fn act(
    caller: &ApiCaller,
    id: &str,
    command: Command,
) -> Result<Json<ApplicationView>, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    // The application and its history as the change left them, read in its transaction.
    let (application, history) = caller.admin.perform(id, &command).await?;
    Ok(Json(ApplicationView::new(
        &application,
        &history,
        caller.lang,
    )))
}

/// Cancels the issuance while the application is pending (SPEC §3).
#[utoipa::path(
    post,
    path = "/applications/{id}/cancel",
    params(("id" = i64, Path, description = "Application id")),
    request_body(content = CancelRequest, description = "Optional; may be left out"),
    responses(
        (status = 200, description = "Cancelled: the application is rejected", body = ApplicationView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or cannot be read (`bad_request`); a JSON body of the wrong shape is 422 `invalid_field`", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's role may not act on applications (an operator; an auditor only reads), told before the body is read", body = ErrorBody),
        (status = 404, description = "No such application in the caller's organisations", body = ErrorBody),
        (status = 409, description = "`not_cancellable`: the application is not pending", body = ErrorBody),
        (status = 422, description = "Reason longer than 500 characters", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn cancel(
    ApiActor(caller): ApiActor,
    Path(id): Path<String>,
    ApiJsonOrDefault(request): ApiJsonOrDefault<CancelRequest>,
) -> Result<Json<ApplicationView>, WebError> {
    let reason = Reason::parse_optional(request.reason.as_deref())?;
    act(&caller, &id, Command::Cancel { reason }).await
}

/// Approves an application awaiting approval.
#[utoipa::path(
    post,
    path = "/applications/{id}/approve",
    params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, body = ApplicationView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's role may not act on applications (an operator; an auditor only reads), told before the body is read", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not awaiting approval", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn approve(
    ApiActor(caller): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, WebError> {
    act(&caller, &id, Command::Approve).await
}

/// Rejects an application awaiting approval, with a mandatory reason.
#[utoipa::path(
    post,
    path = "/applications/{id}/reject",
    params(("id" = i64, Path, description = "Application id")),
    request_body = RejectRequest,
    responses(
        (status = 200, body = ApplicationView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or cannot be read (`bad_request`); a JSON body of the wrong shape is 422 `invalid_field`", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's role may not act on applications (an operator; an auditor only reads), told before the body is read", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not awaiting approval", body = ErrorBody),
        (status = 422, description = "Missing or too long reason", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn reject(
    ApiActor(caller): ApiActor,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RejectRequest>,
) -> Result<Json<ApplicationView>, WebError> {
    let reason = Reason::parse_required(request.reason.as_deref())?;
    act(&caller, &id, Command::Reject { reason }).await
}

/// The certificate of an issued application, with the issuing CA's and the root's after it.
#[utoipa::path(
    get,
    path = "/applications/{id}/certificate",
    params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, description = "The certificate chain as PEM: the certificate, the issuing CA, the root CA", content_type = "application/pem-certificate-chain", body = String),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The caller's role downloads no certificate (an auditor, an operator)", body = ErrorBody),
        (status = 404, description = "No such application, not the caller's, or no certificate (yet)", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn certificate(caller: ApiCaller, Path(id): Path<String>) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    // Within the caller's organisations, or not found.
    let (application, _) = caller.admin.application(id).await?;
    let certificate = caller
        .admin
        .download_certificate(application.id, "api")
        .await?
        .ok_or(WebError::NotFound)?;
    let mut chain = certdesk_ca::certificate_pem(&certificate.der);
    if let Some((issuing, root)) = caller.admin.chain().await? {
        chain.push_str(&certdesk_ca::certificate_pem(&issuing));
        chain.push_str(&certdesk_ca::certificate_pem(&root));
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/pem-certificate-chain".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
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
    path = "/applications/{id}/revoke",
    params(("id" = i64, Path, description = "Application id")),
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "Revoked", body = ApplicationView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or cannot be read (`bad_request`); a JSON body of the wrong shape is 422 `invalid_field`", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's role may not act on applications (an operator; an auditor only reads), told before the body is read", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not issued (code not_revocable)", body = ErrorBody),
        (status = 422, description = "Missing or unknown category, too long description", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "applications"
)]
pub async fn revoke(
    ApiActor(caller): ApiActor,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RevokeRequest>,
) -> Result<Json<ApplicationView>, WebError> {
    let category = RevocationCategory::parse(request.category.as_deref())?;
    let description = Reason::parse_description(request.description.as_deref())?;
    act(
        &caller,
        &id,
        Command::Revoke {
            category,
            description,
        },
    )
    .await
}
