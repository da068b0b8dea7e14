//! Enrolling a ΔΨΠ's authenticator app: the QR code and the key, a code of the app to confirm,
//! then the recovery codes, shown this once.

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::AppError;
use certdesk_app::account::TotpEnrolment;
use certdesk_domain::second_factor::Setup;
use certdesk_store::SessionRecord;
use serde::Deserialize;

use super::render;
use super::roles::ConsoleAccount;
use super::texts::Texts;
use crate::error::WebError;
use crate::qr::qr_svg;

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    forced: bool,
    qr_svg: String,
    secret: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    codes: Vec<String>,
}

fn enrolment_page(
    user: &ConsoleAccount,
    enrolment: &TotpEnrolment,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let page = TotpPage {
        t: user.texts(),
        user: Some(user.session()),
        csrf: user.csrf(),
        current_path: "/account/totp",
        forced: user.account.pending_setup() == Some(Setup::EnrolSecondFactor),
        qr_svg: qr_svg(&enrolment.otpauth_uri()),
        secret: enrolment.secret.to_base32(),
        errors,
    };
    (status, render(&page)).into_response()
}

pub async fn totp_page(user: ConsoleAccount) -> Response {
    match user.account.totp_enrolment().await {
        Ok(Some(enrolment)) => enrolment_page(&user, &enrolment, Vec::new(), StatusCode::OK),
        // Enrolled already: the account page says so.
        Ok(None) => Redirect::to("/account").into_response(),
        Err(error) => user.failure(error),
    }
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub async fn totp_submit(user: ConsoleAccount, Form(form): Form<TotpForm>) -> Response {
    if !user.csrf_ok(&form.csrf) {
        return super::error_page(user.lang, user.texts().csrf_failed, StatusCode::FORBIDDEN);
    }
    let error = match user.account.confirm_totp(&form.code).await {
        Ok(codes) => {
            tracing::info!(
                administrator = user.session().administrator_id,
                "second factor enrolled"
            );
            let page = RecoveryCodesPage {
                t: user.texts(),
                user: Some(user.session()),
                csrf: user.csrf(),
                current_path: "/account/totp",
                codes,
            };
            return render(&page).into_response();
        }
        Err(AppError::NotAtStep) => return Redirect::to("/account").into_response(),
        // No secret was shown to this session (or it cannot be opened): show one.
        Err(AppError::EnrolmentExpired) => return Redirect::to("/account/totp").into_response(),
        Err(error) => WebError::from(error),
    };
    let enrolment = match user.account.totp_enrolment().await {
        Ok(Some(enrolment)) => enrolment,
        Ok(None) => return Redirect::to("/account").into_response(),
        Err(error) => return user.failure(error),
    };
    let status = error.status();
    enrolment_page(&user, &enrolment, vec![error.message(user.lang)], status)
}
