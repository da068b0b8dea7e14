//! The identification form: username, signing password (twice) and OTP channel.

use axum::Form;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::portal::identification::{IdentificationForm, Identified};
use serde::Deserialize;

use super::{PortalUser, Typed, refused, see_portal};

#[derive(Deserialize)]
pub struct IdentificationFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    otp_channel: String,
}

pub async fn identification(user: PortalUser, Form(form): Form<IdentificationFields>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    let outcome = user
        .who
        .identify(&IdentificationForm {
            username: &form.username,
            password: &form.password,
            password_confirm: &form.password_confirm,
            otp_channel: &form.otp_channel,
        })
        .await;
    match outcome {
        Ok(Identified::Done) => see_portal(Some("identified")),
        Ok(Identified::EnrolTotp) => Redirect::to("/portal/totp").into_response(),
        Ok(Identified::Rejected) => see_portal(None),
        Err(error) => {
            let typed = Typed {
                username: &form.username,
                channel: &form.otp_channel,
            };
            refused(&user, error, typed).await
        }
    }
}
