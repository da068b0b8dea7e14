//! The console's sessions of any role, and the operator's and the auditor's capabilities. The
//! pages of one's own account (password, second factor, logging out) take a [`ConsoleAccount`],
//! whatever the role; a ΔΨΠ's pages a [`ConsoleUser`](super::ConsoleUser) (an auditor reads them
//! too); the operator's pages an [`OperatorUser`]; the security log an [`AuditorUser`]. Another
//! role gets 403, and an account whose setup is pending is sent to it first.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_app::AppResult;
use certdesk_app::account::Account;
use certdesk_app::audit::Auditor;
use certdesk_app::operator::Operator;
use certdesk_domain::Lang;
use certdesk_store::{SessionKind, SessionRecord};

use super::texts::{Texts, texts};
use super::{SESSION_COOKIE, console_lang, error_page, setup_page};
use crate::AppState;
use crate::cookies::cookie;
use crate::error::WebError;

/// A logged-in account of any role, on the pages of its own account (which stay open while its
/// setup is pending) and logging out; anyone else is sent to the login page.
pub struct ConsoleAccount {
    pub account: Account,
    pub lang: Lang,
}

impl ConsoleAccount {
    pub fn texts(&self) -> &'static Texts {
        texts(self.lang)
    }

    pub fn session(&self) -> &SessionRecord {
        self.account.session()
    }

    pub fn csrf(&self) -> &str {
        self.account.csrf_token()
    }

    /// A page that says what went wrong, in the account's language.
    pub fn failure(&self, error: impl Into<WebError>) -> Response {
        failure(self.lang, error)
    }

    pub fn csrf_ok(&self, submitted: &str) -> bool {
        certdesk_app::tokens::constant_time_eq(
            submitted.as_bytes(),
            self.account.csrf_token().as_bytes(),
        )
    }
}

fn failure(lang: Lang, error: impl Into<WebError>) -> Response {
    let error = error.into();
    error_page(lang, &error.message(lang), error.status())
}

impl FromRequestParts<AppState> for ConsoleAccount {
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
        match state.app.account(&token, SessionKind::Console).await {
            Ok(Some(account)) => Ok(ConsoleAccount { account, lang }),
            Ok(None) => Err(to_login()),
            Err(error) => Err(failure(lang, error)),
        }
    }
}

/// Turns a session into a role's capability, or the page that refuses it (403). An account that
/// must still change its password or enrol its second factor is sent to that page instead.
pub(super) async fn capability<T>(
    parts: &mut Parts,
    state: &AppState,
    into: impl FnOnce(Account) -> AppResult<T>,
) -> Result<(T, Lang), Response> {
    let ConsoleAccount { account, lang } = ConsoleAccount::from_request_parts(parts, state).await?;
    if let Some(setup) = account.pending_setup() {
        return Err(Redirect::to(setup_page(setup)).into_response());
    }
    into(account)
        .map(|capability| (capability, lang))
        .map_err(|error| failure(lang, error))
}

/// A logged-in operator.
pub struct OperatorUser {
    pub operator: Operator,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for OperatorUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (operator, lang) = capability(parts, state, Account::into_operator).await?;
        Ok(OperatorUser { operator, lang })
    }
}

/// A logged-in auditor.
pub struct AuditorUser {
    pub auditor: Auditor,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for AuditorUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (auditor, lang) = capability(parts, state, Account::into_auditor).await?;
        Ok(AuditorUser { auditor, lang })
    }
}
