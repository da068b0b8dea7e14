//! The certificate on the employee card (issue 5): serial, validity, SHA-256 fingerprint,
//! downloads as PEM and DER, and its revocation («Ανάκληση πιστοποιητικού»): a mandatory
//! category, an optional «Περιγραφή», then «Επιβεβαίωση».

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::Command;
use certdesk_store::workflow::perform;
use serde::Deserialize;

use super::card::{Done, card_response, load, local_time};
use super::{ConsoleUser, error_page};
use crate::AppState;
use crate::api::applications::{parse_category, parse_description};
use crate::error::ApiError;

/// What the card shows of a certificate.
pub struct CertificateView {
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub fingerprint: String,
    pub revoked_at: Option<String>,
}

/// The certificate of application `application_id`, if it has one.
pub(super) async fn view(
    state: &AppState,
    application_id: i64,
) -> Result<Option<CertificateView>, Response> {
    let certificate = state.store.certificate(application_id).await.map_err(|e| {
        error_page(
            Default::default(),
            &ApiError::store(e, Default::default()).message,
            StatusCode::SERVICE_UNAVAILABLE,
        )
    })?;
    Ok(certificate.map(|c| CertificateView {
        serial: c.serial.clone(),
        not_before: local_time(c.not_before),
        not_after: local_time(c.not_after),
        fingerprint: certdesk_ca::fingerprint(&c.der),
        revoked_at: c.revoked_at.map(local_time),
    }))
}

/// `GET /employees/{id}/certificate.pem` and `.der`.
pub async fn download(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path((id, format)): Path<(String, String)>,
) -> Response {
    let loaded = match load(&state, &user, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let not_found = || {
        error_page(
            user.lang,
            user.lang
                .pick("Δεν υπάρχει πιστοποιητικό.", "There is no certificate."),
            StatusCode::NOT_FOUND,
        )
    };
    let Some(application) = &loaded.application else {
        return not_found();
    };
    let certificate = match state.store.certificate(application.id).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(),
        Err(e) => {
            return error_page(
                user.lang,
                &ApiError::store(e, user.lang).message,
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
    };
    let (body, content_type, extension) = match format.as_str() {
        "certificate.pem" => (
            certdesk_ca::certificate_pem(&certificate.der).into_bytes(),
            "application/x-pem-file",
            "pem",
        ),
        "certificate.der" => (certificate.der.clone(), "application/pkix-cert", "cer"),
        _ => return not_found(),
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
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let lang = user.lang;
    if !user.csrf_ok(&form.csrf) {
        return error_page(lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    let loaded = match load(&state, &user, &id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let employee_id = loaded.employee.id;
    let Some(application_id) = loaded.application.as_ref().map(|a| a.id) else {
        return Redirect::to(&format!("/employees/{employee_id}")).into_response();
    };
    let command = parse_category(form.category.as_deref()).and_then(|category| {
        parse_description(Some(&form.description)).map(|description| Command::Revoke {
            category,
            description,
        })
    });
    let command = match command {
        Ok(command) => command,
        Err(error) => {
            let page = card_response(
                &state,
                &user,
                loaded,
                Done::Nothing,
                Some(error.message(lang)),
                form.description.clone(),
            )
            .await;
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    match perform(
        state.store.as_ref(),
        &user.scope(),
        application_id,
        &command,
        &user.actor(),
        state.clock.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/employees/{employee_id}?revoked=1")).into_response(),
        Err(error) => {
            let message = ApiError::workflow(error, lang).message;
            match load(&state, &user, &id).await {
                Ok(reloaded) => {
                    card_response(
                        &state,
                        &user,
                        reloaded,
                        Done::Nothing,
                        Some(message),
                        String::new(),
                    )
                    .await
                }
                Err(response) => response,
            }
        }
    }
}
