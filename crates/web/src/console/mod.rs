//! The ΔΨΠ console: server-rendered pages that work without JavaScript (a small script only
//! turns the confirmation page into a modal). Greek by default; English by a switch that sets a
//! cookie. Every form carries a CSRF token tied to the session.

mod account;
pub mod auth;
mod cancel;
pub(crate) mod card;
mod certificate;
mod decision;
pub mod language;
mod operator;
mod password;
pub mod roles;
pub mod search;
mod security_log;
mod start;
pub mod texts;
mod totp;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::account::Account;
use certdesk_app::admin::Administrator;
use certdesk_domain::Lang;
use certdesk_domain::second_factor::Setup;
use certdesk_store::SessionRecord;

use crate::AppState;
use crate::cookies::page_lang;
use crate::error::WebError;
use crate::routes::Routes;
pub use crate::view::render;
use texts::{Texts, texts};

pub const SESSION_COOKIE: &str = "certdesk_session";

pub fn routes() -> Routes {
    Routes::new()
        .get("/", || async { Redirect::to("/employees") })
        .get("/login", auth::login_page)
        .post("/login", auth::login_submit)
        .post("/logout", auth::logout)
        .get("/account", account::account_page)
        .post("/account/logout-everywhere", account::logout_everywhere)
        .get("/account/password", password::password_page)
        .post("/account/password", password::password_submit)
        .get("/account/totp", totp::totp_page)
        .post("/account/totp", totp::totp_submit)
        .get("/employees", search::employees_page)
        .get("/employees/{id}", card::card_page)
        .get("/employees/{id}/cancel", cancel::cancel_confirm_page)
        .post("/employees/{id}/cancel", cancel::cancel_submit)
        .get("/applications/new", start::new_application_page)
        .post("/applications/new", start::new_application_submit)
        .post("/employees/{id}/approve", decision::approve_submit)
        .post("/employees/{id}/reject", decision::reject_submit)
        .post("/employees/{id}/revoke", certificate::revoke_submit)
        .get("/employees/{id}/{file}", certificate::download)
        .merge(operator::routes())
        .get("/audit/security-log", security_log::page)
        .get("/audit/security-log.jsonl", security_log::download)
        .get("/lang/{code}", language::switch_language)
        .get("/assets/digigov.css", || {
            asset(
                include_str!("../../assets/digigov.css"),
                "text/css; charset=utf-8",
            )
        })
        .get("/assets/console.css", || {
            asset(
                include_str!("../../assets/console.css"),
                "text/css; charset=utf-8",
            )
        })
        .get("/assets/console.js", || {
            asset(
                include_str!("../../assets/console.js"),
                "text/javascript; charset=utf-8",
            )
        })
        .get("/assets/fonts/{file}", font)
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

macro_rules! fonts {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../assets/fonts/", $name)))),*]
    };
}

/// Roboto, the design system's font, served locally (no CDN).
static FONTS: &[(&str, &[u8])] = fonts![
    "roboto-greek-400-normal.woff2",
    "roboto-greek-500-normal.woff2",
    "roboto-greek-700-normal.woff2",
    "roboto-greek-ext-400-normal.woff2",
    "roboto-greek-ext-500-normal.woff2",
    "roboto-greek-ext-700-normal.woff2",
    "roboto-latin-400-normal.woff2",
    "roboto-latin-500-normal.woff2",
    "roboto-latin-700-normal.woff2",
    "roboto-latin-ext-400-normal.woff2",
    "roboto-latin-ext-500-normal.woff2",
    "roboto-latin-ext-700-normal.woff2",
];

async fn font(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    if file == "roboto.css" {
        return asset(
            include_str!("../../assets/fonts/roboto.css"),
            "text/css; charset=utf-8",
        )
        .await;
    }
    match FONTS.iter().find(|(name, _)| *name == file) {
        Some((_, bytes)) => (
            [
                (header::CONTENT_TYPE, "font/woff2"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The console's language: the switch's cookie, else Greek.
pub fn console_lang(headers: &HeaderMap, state: &AppState) -> Lang {
    page_lang(headers, state.config.secure_cookies)
}

/// A logged-in ΔΨΠ on a console page; anyone else is sent to the login page, and an account that
/// must still change its password or enrol its second factor is sent to that page. Every handler
/// acts through its [`Administrator`], limited to the ΔΨΠ's organisations.
pub struct ConsoleUser {
    pub admin: Administrator,
    pub lang: Lang,
}

impl ConsoleUser {
    pub fn session(&self) -> &SessionRecord {
        self.admin.session()
    }

    pub fn csrf(&self) -> &str {
        self.admin.csrf_token()
    }

    pub fn texts(&self) -> &'static Texts {
        texts(self.lang)
    }

    /// Constant-time comparison of a submitted CSRF token with the session's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        certdesk_app::tokens::constant_time_eq(submitted.as_bytes(), self.csrf().as_bytes())
    }

    /// A page that says what went wrong, in the ΔΨΠ's language.
    pub fn failure(&self, error: impl Into<WebError>) -> Response {
        let error = error.into();
        error_page(self.lang, &error.message(self.lang), error.status())
    }
}

/// Where an account that must still set something up is sent.
pub fn setup_page(setup: Setup) -> &'static str {
    match setup {
        Setup::ChangePassword => "/account/password",
        Setup::EnrolSecondFactor => "/account/totp",
    }
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (admin, lang) = roles::capability(parts, state, Account::into_administrator).await?;
        Ok(ConsoleUser { admin, lang })
    }
}

/// A [`ConsoleUser`] whose role may act on applications (not an auditor): the pages that start
/// or change an application refuse anyone else with 403 before they read the form.
pub struct ConsoleActor(pub ConsoleUser);

impl FromRequestParts<AppState> for ConsoleActor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = ConsoleUser::from_request_parts(parts, state).await?;
        match user.admin.may_act() {
            Ok(()) => Ok(ConsoleActor(user)),
            Err(error) => Err(user.failure(error)),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Texts,
    user: Option<&'a SessionRecord>,
    csrf: &'a str,
    current_path: &'a str,
    message: &'a str,
}

pub fn error_page(lang: Lang, message: &str, status: StatusCode) -> Response {
    let page = ErrorPage {
        t: texts(lang),
        user: None,
        csrf: "",
        current_path: "/employees",
        message,
    };
    (status, render(&page)).into_response()
}
