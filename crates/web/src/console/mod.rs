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
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use certdesk_app::admin::Administrator;
use certdesk_domain::Lang;
use certdesk_domain::second_factor::Setup;
use certdesk_store::{SessionKind, SessionRecord};

use crate::AppState;
use crate::cookies::{cookie, page_lang};
use crate::error::WebError;
pub use crate::view::render;
use texts::{Texts, texts};

pub const SESSION_COOKIE: &str = "certdesk_session";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/employees") }))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", axum::routing::post(auth::logout))
        .route("/account", get(account::account_page))
        .route(
            "/account/logout-everywhere",
            axum::routing::post(account::logout_everywhere),
        )
        .route(
            "/account/password",
            get(password::password_page).post(password::password_submit),
        )
        .route(
            "/account/totp",
            get(totp::totp_page).post(totp::totp_submit),
        )
        .route("/employees", get(search::employees_page))
        .route("/employees/{id}", get(card::card_page))
        .route(
            "/employees/{id}/cancel",
            get(cancel::cancel_confirm_page).post(cancel::cancel_submit),
        )
        .route(
            "/applications/new",
            get(start::new_application_page).post(start::new_application_submit),
        )
        .route(
            "/employees/{id}/approve",
            axum::routing::post(decision::approve_submit),
        )
        .route(
            "/employees/{id}/reject",
            axum::routing::post(decision::reject_submit),
        )
        .route(
            "/employees/{id}/revoke",
            axum::routing::post(certificate::revoke_submit),
        )
        .route("/employees/{id}/{file}", get(certificate::download))
        .merge(operator::routes())
        .route("/audit/security-log", get(security_log::page))
        .route("/audit/security-log.jsonl", get(security_log::download))
        .route("/lang/{code}", get(language::switch_language))
        .route(
            "/assets/digigov.css",
            get(|| {
                asset(
                    include_str!("../../assets/digigov.css"),
                    "text/css; charset=utf-8",
                )
            }),
        )
        .route(
            "/assets/console.css",
            get(|| {
                asset(
                    include_str!("../../assets/console.css"),
                    "text/css; charset=utf-8",
                )
            }),
        )
        .route(
            "/assets/console.js",
            get(|| {
                asset(
                    include_str!("../../assets/console.js"),
                    "text/javascript; charset=utf-8",
                )
            }),
        )
        .route("/assets/fonts/{file}", get(font))
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
        let AccountUser(user) = AccountUser::from_request_parts(parts, state).await?;
        match user.admin.pending_setup() {
            Some(setup) => Err(Redirect::to(setup_page(setup)).into_response()),
            None => Ok(user),
        }
    }
}

/// A logged-in ΔΨΠ on the pages of their own account (and logging out), which stay open while
/// the account's setup is pending.
pub struct AccountUser(pub ConsoleUser);

impl FromRequestParts<AppState> for AccountUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = console_lang(&parts.headers, state);
        let to_login = || Redirect::to("/login").into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE, state.config.secure_cookies)
        else {
            return Err(to_login());
        };
        match state.app.administrator(&token, SessionKind::Console).await {
            Ok(Some(admin)) => Ok(AccountUser(ConsoleUser { admin, lang })),
            Ok(None) => Err(to_login()),
            Err(error) => {
                let error = WebError::from(error);
                Err(error_page(lang, &error.message(lang), error.status()))
            }
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
