//! The certificate on the employee card (issue 5): serial, validity, SHA-256 fingerprint,
//! downloads as PEM and DER, and its revocation («Ανάκληση πιστοποιητικού»): a mandatory
//! category, an optional «Περιγραφή», then «Επιβεβαίωση».

use axum::Form;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::Command;
use certdesk_domain::certificate::RevocationCategory;
use certdesk_domain::validation::Reason;
use certdesk_store::CertificateRecord;
use serde::Deserialize;

use super::card::{Done, card_response, load, load_for_form, refused};
use super::{ConsoleActor, ConsoleUser, error_page};
use crate::view::local_time;

/// What the card shows of a certificate.
pub struct CertificateView {
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub fingerprint: String,
    pub revoked_at: Option<String>,
}

impl CertificateView {
    pub fn new(c: &CertificateRecord) -> CertificateView {
        CertificateView {
            serial: c.serial.clone(),
            not_before: local_time(c.not_before),
            not_after: local_time(c.not_after),
            fingerprint: certdesk_ca::fingerprint(&c.der),
            revoked_at: c.revoked_at.map(local_time),
        }
    }
}

/// `GET /employees/{id}/certificate.pem` and `.der`.
pub async fn download(user: ConsoleUser, Path((id, format)): Path<(String, String)>) -> Response {
    let card = match load(&user, &id).await {
        Ok(card) => card,
        Err(response) => return response,
    };
    let Some(application_id) = card.application.as_ref().map(|a| a.id) else {
        return no_certificate(&user);
    };
    // Read again through the use case that records the download in the security log.
    let certificate = match user
        .admin
        .download_certificate(application_id, "console")
        .await
    {
        Ok(Some(certificate)) => certificate,
        Ok(None) => return no_certificate(&user),
        Err(error) => return user.failure(error),
    };
    let (body, content_type, extension) = match format.as_str() {
        "certificate.pem" => (
            certdesk_ca::certificate_pem(&certificate.der).into_bytes(),
            "application/x-pem-file",
            "pem",
        ),
        "certificate.der" => (certificate.der.clone(), "application/pkix-cert", "cer"),
        _ => return no_certificate(&user),
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"certificate-{}.{extension}\"",
                    certificate.serial
                ),
            ),
        ],
        body,
    )
        .into_response()
}

fn no_certificate(user: &ConsoleUser) -> Response {
    error_page(
        user.lang,
        user.texts().no_certificate,
        StatusCode::NOT_FOUND,
    )
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    description: String,
}

/// `POST /employees/{id}/revoke`.
pub async fn revoke_submit(
    ConsoleActor(user): ConsoleActor,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let card = match load_for_form(&user, &form.csrf, &id).await {
        Ok(card) => card,
        Err(response) => return response,
    };
    let employee_id = card.employee.id;
    let Some(application_id) = card.application.as_ref().map(|a| a.id) else {
        return Redirect::to(&format!("/employees/{employee_id}")).into_response();
    };
    let command = RevocationCategory::parse(form.category.as_deref()).and_then(|category| {
        Reason::parse_description(Some(&form.description)).map(|description| Command::Revoke {
            category,
            description,
        })
    });
    let command = match command {
        Ok(command) => command,
        Err(error) => {
            let message = Some(error.message(user.lang));
            let page = card_response(&user, card, Done::Nothing, message, form.description);
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    match user.admin.perform(application_id, &command).await {
        Ok(_) => Redirect::to(&format!("/employees/{employee_id}?revoked=1")).into_response(),
        Err(error) => refused(&user, &id, error, String::new()).await,
    }
}
