//! The application page (whatever the step), the confirmation of the data, and the download of
//! the certificate once issued.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{
    CsrfForm, PortalUser, Typed, application_page, beneficiary, email_proof, landing, message_page,
    refused, see_portal,
};
use crate::AppState;
use crate::cookies::page_lang;

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `/portal`: the landing page, or the beneficiary's application with what was just done.
pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<DoneQuery>,
) -> Response {
    let kept = email_proof::kept_token(&headers, &state);
    let user = match beneficiary(&headers, &state).await {
        Ok(Some(user)) => user,
        Ok(None) if kept.is_some() => return email_proof::landing_with_link(&headers, &state),
        Ok(None) => {
            let lang = page_lang(&headers, state.config.secure_cookies);
            return landing(lang, None, StatusCode::OK);
        }
        Err(response) => return response,
    };
    // Back from the login (or already in) with the «Έναρξη» link's token: spend it now.
    if let Some(token) = kept {
        return email_proof::spend_kept_token(&user, &token, &state).await;
    }
    let t = user.texts();
    let notice = match query.done.as_deref() {
        Some("confirmed") => Some(t.confirmed_notice),
        Some("identified") => Some(t.identified_notice),
        Some("code_sent") => Some(t.code_sent_notice),
        Some("signed") => Some(t.signed_notice),
        Some("email_code_sent") => Some(t.email_code_sent_notice),
        Some("email_proven") => Some(t.email_proven_notice),
        _ => None,
    };
    application_page(&user, notice, Vec::new(), Typed::default(), StatusCode::OK).await
}

/// «Επιβεβαίωση στοιχείων».
pub async fn confirm(user: PortalUser, Form(form): Form<CsrfForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user.who.confirm_data().await {
        Ok(()) => see_portal(Some("confirmed")),
        Err(error) => refused(&user, error, Typed::default()).await,
    }
}

/// The beneficiary's own certificate, as PEM.
pub async fn download_certificate(user: PortalUser) -> Response {
    match user.who.certificate().await {
        Ok(Some(c)) => (
            [
                (header::CONTENT_TYPE, "application/x-pem-file".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"certificate-{}.pem\"", c.serial),
                ),
            ],
            certdesk_ca::certificate_pem(&c.der),
        )
            .into_response(),
        Ok(None) => see_portal(None),
        Err(error) => message_page(user.lang, user.who.csrf_token(), &error.into()),
    }
}
