//! The operator's pages (issue 10) under `/operator/`: organisations, accounts and what an
//! operator does to them. Only an operator reaches them (others get 403); every form carries
//! the session's CSRF token; everything shown is escaped by the templates.

mod accounts;
mod organisations;
pub mod texts;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use certdesk_store::SessionRecord;

use super::error_page;
use super::roles::OperatorUser;
use super::texts::{Texts, texts};
use crate::AppState;
use crate::error::WebError;
use texts::{OperatorTexts, operator_texts};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/operator",
            get(|| async { Redirect::to("/operator/accounts") }),
        )
        .route(
            "/operator/organisations",
            get(organisations::page).post(organisations::create),
        )
        .route(
            "/operator/accounts",
            get(accounts::list).post(accounts::create),
        )
        .route("/operator/accounts/{id}", get(accounts::page))
        .route(
            "/operator/accounts/{id}/organisations",
            post(accounts::assign),
        )
        .route(
            "/operator/accounts/{id}/organisations/{organisation}/remove",
            post(accounts::unassign),
        )
        .route("/operator/accounts/{id}/disable", post(accounts::disable))
        .route(
            "/operator/accounts/{id}/reset-password",
            post(accounts::reset_password),
        )
        .route(
            "/operator/accounts/{id}/reset-otp",
            post(accounts::reset_otp),
        )
        .route(
            "/operator/accounts/{id}/end-sessions",
            post(accounts::end_sessions),
        )
}

impl OperatorUser {
    fn session(&self) -> &SessionRecord {
        self.operator.session_account().session()
    }

    fn csrf(&self) -> &str {
        self.operator.session_account().csrf_token()
    }

    fn t(&self) -> &'static Texts {
        texts(self.lang)
    }

    fn o(&self) -> &'static OperatorTexts {
        operator_texts(self.lang)
    }

    /// The 403 page unless `submitted` is the session's CSRF token.
    fn csrf_refusal(&self, submitted: &str) -> Option<Response> {
        let ok =
            certdesk_app::tokens::constant_time_eq(submitted.as_bytes(), self.csrf().as_bytes());
        (!ok).then(|| error_page(self.lang, self.t().csrf_failed, StatusCode::FORBIDDEN))
    }

    fn failure(&self, error: impl Into<WebError>) -> Response {
        let error: WebError = error.into();
        error_page(self.lang, &error.message(self.lang), error.status())
    }
}

/// A path segment that is an id.
fn id(segment: &str) -> Option<i64> {
    segment.parse().ok()
}
