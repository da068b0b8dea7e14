//! Any authenticated account, whatever its role, and the capabilities it can be turned into:
//! an [`Administrator`] (a ΔΨΠ, or an auditor reading), an [`Operator`] or an [`Auditor`]. The
//! role decides which; asking for another is [`AppError::Forbidden`].

mod own;

pub use own::TotpEnrolment;

use certdesk_domain::{Role, SecurityEvent};
use certdesk_store::prelude::*;

use crate::App;
use crate::admin::Administrator;
use crate::audit::Auditor;
use crate::error::{AppError, AppResult};
use crate::operator::Operator;
use crate::tokens::token_hash;

/// A live session of some account.
pub struct Account {
    pub(crate) app: App,
    pub(crate) session: SessionRecord,
    pub(crate) token_hash: String,
}

impl App {
    /// The account of a live session of `kind` (a console cookie is no API token, nor the
    /// reverse); a disabled account has none.
    pub async fn account(&self, token: &str, kind: SessionKind) -> AppResult<Option<Account>> {
        let hash = token_hash(token);
        let now = self.now();
        let Some(session) = self
            .store()
            .session(&hash, now)
            .await?
            .filter(|s| s.kind == kind)
        else {
            return Ok(None);
        };
        // Idle too long: the session ends, whatever the absolute timeout says.
        if certdesk_domain::session::is_idle(session.last_seen_at, now) {
            self.store().delete_session(&hash).await?;
            return Ok(None);
        }
        if certdesk_domain::session::needs_touch(session.last_seen_at, now) {
            self.store().touch_session(&hash, now).await?;
        }
        Ok(Some(Account {
            app: self.clone(),
            session,
            token_hash: hash,
        }))
    }

    /// Appends to the security log (the second factor's enrolment calls this too).
    pub async fn record_security_event(&self, event: &SecurityEvent) -> AppResult<()> {
        Ok(self
            .store()
            .record_security_event(event, self.now())
            .await?)
    }
}

impl Account {
    pub fn session(&self) -> &SessionRecord {
        &self.session
    }

    pub fn role(&self) -> Role {
        self.session.role
    }

    pub fn csrf_token(&self) -> &str {
        &self.session.csrf_token
    }

    pub async fn log_out(&self) -> AppResult<()> {
        Ok(self.app.store().delete_session(&self.token_hash).await?)
    }

    /// A ΔΨΠ, or an auditor (who reads as one, in every organisation, and acts on nothing).
    pub fn into_administrator(self) -> AppResult<Administrator> {
        if !self.role().may_read_employees() {
            return Err(AppError::Forbidden);
        }
        Ok(Administrator::from_account(self))
    }

    pub fn into_operator(self) -> AppResult<Operator> {
        if !self.role().may_manage_accounts() {
            return Err(AppError::Forbidden);
        }
        Ok(Operator::from_account(self))
    }

    pub fn into_auditor(self) -> AppResult<Auditor> {
        if !self.role().may_read_security_log() {
            return Err(AppError::Forbidden);
        }
        Ok(Auditor { account: self })
    }
}
