//! The beneficiary's portal (SPEC §2): the employee logs in through the tax registry
//! ([`login`]), checks and confirms the data ([`application`]), is identified while choosing a
//! username, a signing password and an OTP channel ([`identification`], [`enrolment`] for the
//! authenticator app), and signs the application ([`signing`]). Every page shows the status and
//! the history, so a cancellation by a ΔΨΠ is seen at once. Server-rendered, no JavaScript, one
//! narrow column for phones.
//!
//! The steps are `certdesk_app::portal`'s; here are only the pages. A handler acts through the
//! [`Beneficiary`] of its [`PortalUser`], which reaches only the applications of the ΑΦΜ the tax
//! registry vouched for.

mod application;
pub(crate) mod document_texts;
mod documents;
mod email_proof;
mod enrolment;
mod holder;
mod identification;
mod login;
mod signing;
pub mod texts;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::AppError;
use certdesk_app::portal::{Beneficiary, Overview};
use certdesk_domain::{Lang, Status};
use certdesk_store::StoreError;
use serde::Deserialize;

use crate::AppState;
use crate::cookies::{cookie, page_lang};
use crate::error::WebError;
use crate::routes::Routes;
use crate::view::{HistoryRow, history_rows, local_time, render};
pub use texts::{PortalTexts, portal_texts};

pub const PORTAL_SESSION_COOKIE: &str = "certdesk_portal";

pub fn routes() -> Routes {
    Routes::new()
        .get("/portal", application::home)
        .get("/portal/login", login::login)
        .get("/portal/start", email_proof::start)
        .post("/portal/email-code/send", email_proof::send_code)
        .post("/portal/email-code", email_proof::prove_by_code)
        .get("/portal/callback", login::callback)
        .post("/portal/logout", login::logout)
        .post("/portal/confirm", application::confirm)
        .get("/portal/certificate.pem", application::download_certificate)
        .post("/portal/identification", identification::identification)
        .get("/portal/totp", enrolment::totp_page)
        .post("/portal/totp", enrolment::totp_submit)
        .post("/portal/send-code", signing::send_code)
        .post("/portal/sign", signing::sign)
        .get("/portal/documents", documents::page)
        .post_with_body_limit(
            "/portal/documents",
            documents::sign,
            certdesk_domain::remote_signing::MAX_BATCH_BYTES + 64 * 1024,
        )
        .post("/portal/documents/send-code", documents::send_code)
        .merge(holder::routes())
}

// ---------------------------------------------------------------------------------------------
// Who is asking

/// A logged-in beneficiary; anyone else is sent to the landing page (`/portal`).
pub struct PortalUser {
    pub who: Beneficiary,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for PortalUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match beneficiary(&parts.headers, state).await? {
            Some(user) => Ok(user),
            None => Err(Redirect::to("/portal").into_response()),
        }
    }
}

/// The beneficiary of the request's portal session, if any.
async fn beneficiary(
    headers: &axum::http::HeaderMap,
    state: &AppState,
) -> Result<Option<PortalUser>, Response> {
    let secure = state.config.secure_cookies;
    let lang = page_lang(headers, secure);
    let Some(token) = cookie(headers, PORTAL_SESSION_COOKIE, secure) else {
        return Ok(None);
    };
    match state.app.beneficiary(&token).await {
        Ok(who) => Ok(who.map(|who| PortalUser { who, lang })),
        Err(error) => Err(message_page(lang, "", &WebError::from(error))),
    }
}

impl PortalUser {
    fn texts(&self) -> &'static PortalTexts {
        portal_texts(self.lang)
    }

    /// The CSRF check of a form: a forged or stale form gets a page that says so.
    fn csrf_refusal(&self, submitted: &str) -> Option<Response> {
        (!self.who.csrf_ok(submitted)).then(|| {
            message(
                self.lang,
                self.who.csrf_token(),
                self.texts().csrf_failed,
                StatusCode::FORBIDDEN,
            )
        })
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

// ---------------------------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "portal_landing.html")]
struct LandingPage<'a> {
    t: &'static PortalTexts,
    csrf: &'a str,
    current_path: &'a str,
    message: Option<&'a str>,
    notice: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "portal_message.html")]
struct MessagePage<'a> {
    t: &'static PortalTexts,
    csrf: &'a str,
    current_path: &'a str,
    message: &'a str,
}

/// The landing page, for anyone not logged in.
fn landing(lang: Lang, message: Option<&str>, status: StatusCode) -> Response {
    let page = LandingPage {
        t: portal_texts(lang),
        csrf: "",
        current_path: "/portal",
        message,
        notice: None,
    };
    (status, render(&page)).into_response()
}

/// The landing page with a notice (not an error), e.g. after following the «Έναρξη» link.
fn landing_notice(lang: Lang, notice: &str) -> Response {
    let page = LandingPage {
        t: portal_texts(lang),
        csrf: "",
        current_path: "/portal",
        message: None,
        notice: Some(notice),
    };
    render(&page).into_response()
}

fn message(lang: Lang, csrf: &str, message: &str, status: StatusCode) -> Response {
    let page = MessagePage {
        t: portal_texts(lang),
        csrf,
        current_path: "/portal",
        message,
    };
    (status, render(&page)).into_response()
}

fn message_page(lang: Lang, csrf: &str, error: &WebError) -> Response {
    message(lang, csrf, &portal_message(error, lang), error.status())
}

/// An error in the portal's words where it has its own.
fn portal_message(error: &WebError, lang: Lang) -> String {
    match error {
        WebError::App(AppError::Throttled) => portal_texts(lang).too_many_attempts.to_owned(),
        other => other.message(lang),
    }
}

/// Back to the application page, announcing what was done.
fn see_portal(done: Option<&str>) -> Response {
    match done {
        Some(done) => Redirect::to(&format!("/portal?done={done}")).into_response(),
        None => Redirect::to("/portal").into_response(),
    }
}

/// What the application page shows, whatever the step.
struct ApplicationView {
    full_name: String,
    status_code: &'static str,
    status_label: &'static str,
    data: Vec<(&'static str, String)>,
    /// Which form the page offers: confirm, approval, identification, sign, issuance or done.
    step: &'static str,
    /// The OTP channel chosen at identification (for the signing form).
    channel: &'static str,
    /// Issued (or revoked, or expired): the certificate can be downloaded.
    has_certificate: bool,
    /// The work email is proven; until then identification offers the proof instead.
    email_proven: bool,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct ApplicationPage<'a> {
    t: &'static PortalTexts,
    /// The words of the holder's links (once a certificate exists).
    h: &'static holder::HolderTexts,
    csrf: &'a str,
    current_path: &'a str,
    view: ApplicationView,
    history: Vec<HistoryRow>,
    notice: Option<&'static str>,
    errors: Vec<String>,
    form_username: &'a str,
    form_channel: &'a str,
    /// «Υπογραφή εγγράφου», linked while the certificate signs.
    documents: &'static document_texts::DocumentTexts,
}

/// What a re-shown form keeps of what was typed.
#[derive(Default)]
struct Typed<'a> {
    username: &'a str,
    channel: &'a str,
}

fn step_of(status: Status) -> &'static str {
    match status {
        Status::AwaitingDataCheck => "confirm",
        Status::AwaitingApproval => "approval",
        Status::AwaitingIdentification => "identification",
        Status::AwaitingSignature => "sign",
        Status::AwaitingIssuance => "issuance",
        _ => "done",
    }
}

/// The application page: the status, the data, the form of the current step, the history.
async fn application_page(
    user: &PortalUser,
    notice: Option<&'static str>,
    errors: Vec<String>,
    typed: Typed<'_>,
    status: StatusCode,
) -> Response {
    let overview = match user.who.overview().await {
        Ok(Some(overview)) => overview,
        Ok(None) => return no_application(user),
        Err(error) => return message_page(user.lang, user.who.csrf_token(), &error.into()),
    };
    let t = user.texts();
    let Overview {
        current,
        history,
        channel,
        username,
        certificate,
        email_proven,
    } = overview;
    let (app, employee) = (&current.application, &current.employee);
    let mut data = vec![
        (t.surname, employee.surname.to_string()),
        (t.given_name, employee.given_name.to_string()),
        (t.father_name, employee.father_name.to_string()),
        (t.afm, employee.afm.to_string()),
        (t.email, app.email.to_string()),
        (
            t.mobile,
            app.mobile
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
        (t.organisation, employee.organisation_name.clone()),
        (t.unit, employee.unit.clone()),
    ];
    if let Some(username) = username {
        data.push((t.username, username));
    }
    if let Some(c) = &certificate {
        data.push((t.certificate_serial, c.serial.clone()));
        data.push((t.certificate_valid_until, local_time(c.not_after)));
        data.push((t.certificate_fingerprint, certdesk_ca::fingerprint(&c.der)));
    }
    let page = ApplicationPage {
        t,
        h: holder::holder_texts(user.lang),
        csrf: user.who.csrf_token(),
        current_path: "/portal",
        view: ApplicationView {
            full_name: employee.full_name(),
            status_code: app.status.code(),
            status_label: app.status.label(user.lang),
            data,
            step: step_of(app.status),
            channel: channel.unwrap_or(""),
            has_certificate: certificate.is_some(),
            email_proven,
        },
        history: history_rows(&history, user.lang),
        documents: document_texts::document_texts(user.lang),
        notice,
        errors,
        form_username: typed.username,
        form_channel: typed.channel,
    };
    (status, render(&page)).into_response()
}

fn no_application(user: &PortalUser) -> Response {
    message(
        user.lang,
        user.who.csrf_token(),
        user.texts().no_application,
        StatusCode::NOT_FOUND,
    )
}

/// How the portal answers a step the use case refused: back to the page the step belongs to,
/// with every reason; a page of its own when the store or the installation failed.
async fn refused(user: &PortalUser, error: AppError, typed: Typed<'_>) -> Response {
    match error {
        AppError::NotAtStep => see_portal(None),
        AppError::NotFound => no_application(user),
        AppError::InvalidFields(errors) => {
            let messages = errors.iter().map(|e| e.message(user.lang)).collect();
            application_page(
                user,
                None,
                messages,
                typed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        error @ (AppError::Store(StoreError::Unavailable(_)) | AppError::Configuration(_)) => {
            message_page(user.lang, user.who.csrf_token(), &error.into())
        }
        error => {
            let error = WebError::from(error);
            let messages = vec![portal_message(&error, user.lang)];
            application_page(user, None, messages, typed, error.status()).await
        }
    }
}
