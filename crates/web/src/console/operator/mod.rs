//! The operator's pages (issue 10) under `/operator/`: organisations, accounts and what an
//! operator does to them. Only an operator reaches them (others get 403); every form carries
//! the session's CSRF token; everything shown is escaped by the templates.

mod accounts;
mod organisations;
pub mod texts;

use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use certdesk_store::SessionRecord;

use super::error_page;
use super::roles::OperatorUser;
use super::texts::{Texts, texts};
use crate::error::WebError;
use crate::routes::Routes;
use texts::{OperatorTexts, operator_texts};

pub fn routes() -> Routes {
    Routes::new()
        .get("/operator", || async { Redirect::to("/operator/accounts") })
        .get("/operator/organisations", organisations::page)
        .post("/operator/organisations", organisations::create)
        .get("/operator/accounts", accounts::list)
        .post("/operator/accounts", accounts::create)
        .get("/operator/accounts/{id}", accounts::page)
        .post("/operator/accounts/{id}/organisations", accounts::assign)
        .post(
            "/operator/accounts/{id}/organisations/{organisation}/remove",
            accounts::unassign,
        )
        .post("/operator/accounts/{id}/disable", accounts::disable)
        .post(
            "/operator/accounts/{id}/reset-password",
            accounts::reset_password,
        )
        .post("/operator/accounts/{id}/reset-otp", accounts::reset_otp)
        .post(
            "/operator/accounts/{id}/end-sessions",
            accounts::end_sessions,
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
