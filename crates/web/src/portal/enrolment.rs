//! Enrolling the authenticator app: the QR code and the key, then two consecutive codes.

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use certdesk_app::AppError;
use certdesk_app::portal::enrolment::PendingEnrolment;
use certdesk_domain::validation::Field;
use serde::Deserialize;

use super::{PortalTexts, PortalUser, Typed, message_page, portal_message, refused, see_portal};
use crate::error::WebError;
use crate::qr::qr_svg;
use crate::view::render;

#[derive(Template)]
#[template(path = "portal_totp.html")]
struct TotpPage<'a> {
    t: &'static PortalTexts,
    csrf: &'a str,
    current_path: &'a str,
    qr_svg: String,
    secret: String,
    errors: Vec<String>,
}

fn enrolment_page(
    user: &PortalUser,
    enrolment: &PendingEnrolment,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let page = TotpPage {
        t: user.texts(),
        csrf: user.who.csrf_token(),
        current_path: "/portal/totp",
        qr_svg: qr_svg(&enrolment.otpauth_uri()),
        secret: enrolment.secret.to_base32(),
        errors,
    };
    (status, render(&page)).into_response()
}

pub async fn totp_page(user: PortalUser) -> Response {
    match user.who.pending_enrolment().await {
        Ok(Some(enrolment)) => enrolment_page(&user, &enrolment, Vec::new(), StatusCode::OK),
        Ok(None) => see_portal(None),
        Err(error) => refused(&user, error, Typed::default()).await,
    }
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code1: String,
    #[serde(default)]
    code2: String,
}

pub async fn totp_submit(user: PortalUser, Form(form): Form<TotpForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    let error = match user.who.confirm_totp(&form.code1, &form.code2).await {
        Ok(()) => return see_portal(Some("identified")),
        Err(error) => error,
    };
    // The codes' own problems are shown on the enrolment page, with the QR code again.
    let on_this_page = match &error {
        AppError::Throttled | AppError::TotpCodesWrong => true,
        AppError::InvalidFields(errors) => errors
            .iter()
            .all(|e| matches!(e.field, Field::Code1 | Field::Code2)),
        _ => false,
    };
    if matches!(error, AppError::EnrolmentExpired) {
        return message_page(user.lang, user.who.csrf_token(), &error.into());
    }
    if !on_this_page {
        return refused(&user, error, Typed::default()).await;
    }
    let enrolment = match user.who.pending_enrolment().await {
        Ok(Some(enrolment)) => enrolment,
        Ok(None) => return see_portal(None),
        Err(error) => return refused(&user, error, Typed::default()).await,
    };
    let error = WebError::from(error);
    let messages = match &error {
        WebError::App(AppError::InvalidFields(errors)) => {
            errors.iter().map(|e| e.message(user.lang)).collect()
        }
        other => vec![portal_message(other, user.lang)],
    };
    enrolment_page(&user, &enrolment, messages, error.status())
}
