//! Signing the application: «Αποστολή κωδικού» for the email channel, then the signing password
//! and the one-time password.

use axum::Form;
use axum::response::Response;
use certdesk_app::portal::signing::CodeSent;
use serde::Deserialize;

use super::{CsrfForm, PortalUser, Typed, refused, see_portal};

pub async fn send_code(user: PortalUser, Form(form): Form<CsrfForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user.who.send_code().await {
        Ok(CodeSent::Sent) => see_portal(Some("code_sent")),
        Ok(CodeSent::NotEmailChannel) => see_portal(None),
        Err(error) => refused(&user, error, Typed::default()).await,
    }
}

#[derive(Deserialize)]
pub struct SignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    otp: String,
}

pub async fn sign(user: PortalUser, Form(form): Form<SignForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user.who.sign(&form.password, &form.otp).await {
        Ok(()) => see_portal(Some("signed")),
        Err(error) => refused(&user, error, Typed::default()).await,
    }
}
