//! «Συγχρονισμός OTP»: two consecutive codes of the authenticator app.

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::otp::ChannelChoice;
use certdesk_domain::validation::Field;
use serde::Deserialize;

use super::{HolderTexts, refused};
use crate::portal::{PortalTexts, PortalUser, see_portal};
use crate::view::render;

const PATH: &str = "/portal/otp-sync";

#[derive(Template)]
#[template(path = "portal_otp_sync.html")]
struct OtpSyncPage<'a> {
    t: &'static PortalTexts,
    h: &'static HolderTexts,
    csrf: &'a str,
    current_path: &'a str,
    errors: Vec<String>,
    done: bool,
    /// The channel is the authenticator app (the email channel has nothing to synchronise).
    totp: bool,
    code1_label: &'static str,
    code2_label: &'static str,
}

fn show(
    user: &PortalUser,
    totp: bool,
    done: bool,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let lang = user.lang;
    let page = OtpSyncPage {
        t: user.texts(),
        h: super::holder_texts(lang),
        csrf: user.who.csrf_token(),
        current_path: PATH,
        errors,
        done,
        totp,
        code1_label: Field::Code1.label(lang),
        code2_label: Field::Code2.label(lang),
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn page(user: PortalUser, Query(query): Query<DoneQuery>) -> Response {
    match user.who.holding().await {
        Ok(holding) if holding.manages_credentials => {
            let totp = holding.channel == Some(ChannelChoice::Totp.code());
            show(
                &user,
                totp,
                query.done.is_some() && totp,
                Vec::new(),
                StatusCode::OK,
            )
        }
        Ok(_) => see_portal(None),
        Err(error) => refused(&user, error, |e, s| show(&user, true, false, e, s)),
    }
}

#[derive(Deserialize)]
pub struct SyncForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code1: String,
    #[serde(default)]
    code2: String,
}

pub async fn submit(user: PortalUser, Form(form): Form<SyncForm>) -> Response {
    if let Some(refusal) = user.csrf_refusal(&form.csrf) {
        return refusal;
    }
    match user.who.resynchronise_totp(&form.code1, &form.code2).await {
        Ok(_) => Redirect::to(&format!("{PATH}?done=synchronised")).into_response(),
        Err(error) => refused(&user, error, |e, s| show(&user, true, false, e, s)),
    }
}
