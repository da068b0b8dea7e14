//! What the holder of an issued certificate does for themselves in the portal (issue 11,
//! item 6, and the signing log of item 5): change the signing password, resynchronise the
//! authenticator app, ask for revocation, read the signing log. The holder is the beneficiary of
//! the portal session (logged in through the tax registry), acting on their latest application.
//!
//! The signing password and the one-time codes are checked as for signing: the current password
//! with Argon2 off the async threads, wrong tries counted against the application's signing
//! throttle, a code used once. The security log records each change (never a password or a
//! code); the revocation request is a transition, so it is in the application's history too.

use certdesk_domain::otp::{OtpChannel, Resynchronisation, SigningCredentials};
use certdesk_domain::revocation_request;
use certdesk_domain::signing::{PasswordChange, verify_password};
use certdesk_domain::throttle::ThrottleKey;
use certdesk_domain::validation::{Field, Reason, otp_code};
use certdesk_domain::{Command, SecurityEvent, SecurityEventKind, Status};
use certdesk_store::prelude::*;

use super::{Beneficiary, Current};
use crate::error::{AppError, AppResult};
use crate::secrets;
use crate::tokens::hash_password;

/// Entries per page of the signing log.
pub const SIGNING_LOG_PAGE: i64 = 50;

/// What the holder's pages show about the certificate they hold.
pub struct Holding {
    pub current: Current,
    /// The channel of one-time codes (`totp` or `email`), while the certificate signs.
    pub channel: Option<&'static str>,
    pub certificate: Option<CertificateRecord>,
    pub signature_count: i64,
    /// The certificate is issued and its signing credentials are there: the holder may change
    /// the signing password and resynchronise the app.
    pub manages_credentials: bool,
    /// The holder's revocation request, made and still open.
    pub open_revocation_request: Option<RevocationRequestRecord>,
    /// The rules would take a revocation request now (issued, not asked yet).
    pub may_request_revocation: bool,
}

/// One page of the signing log, newest first.
pub struct SigningLog {
    pub entries: Vec<SignatureRecord>,
    /// How many signatures the certificate made in all.
    pub total: i64,
    /// The id to page on from (`before`), when there are older entries.
    pub older: Option<i64>,
}

impl Beneficiary {
    /// The certificate of the current application and what the holder's pages say of it.
    pub async fn holding(&self) -> AppResult<Holding> {
        let current = self.at_step(None).await?;
        let store = self.app.store();
        let scope = self.scope();
        let id = current.application.id;
        let channel = store
            .signing_credentials(&scope, id)
            .await?
            .map(|c| c.otp.code());
        let application = &current.application;
        let status = application.status;
        Ok(Holding {
            manages_credentials: status == Status::Issued && channel.is_some(),
            open_revocation_request: application.open_revocation_request().cloned(),
            may_request_revocation: revocation_request::may_request(status)
                && application.revocation_request.is_none(),
            channel,
            certificate: store.certificate(&scope, id).await?,
            signature_count: store.signature_count(&scope, id).await?,
            current,
        })
    }

    /// The issued application and its signing credentials; `NotAtStep` otherwise.
    async fn issued(&self) -> AppResult<(Current, SigningCredentials)> {
        let current = self.at_step(Some(Status::Issued)).await?;
        let credentials = self
            .app
            .store()
            .signing_credentials(&self.scope(), current.application.id)
            .await?
            .ok_or(AppError::NotAtStep)?;
        Ok((current, credentials))
    }

    async fn record(&self, current: &Current, kind: SecurityEventKind) -> AppResult<()> {
        let username = current.employee.username.as_ref().map(|u| u.as_str());
        let event = SecurityEvent::holder_self_service(kind, username, current.application.id);
        self.app.record_security_event(&event).await
    }

    /// «Αλλαγή κωδικού ψηφιακής υπογραφής»: the current signing password and the new one twice.
    pub async fn change_signing_password(
        &self,
        current_password: &str,
        new_password: &str,
        confirmation: &str,
    ) -> AppResult<()> {
        let (current, credentials) = self.issued().await?;
        let change = PasswordChange::parse(current_password, new_password, confirmation)
            .map_err(AppError::InvalidFields)?;
        let store = self.app.store();
        let id = current.application.id;
        let key = ThrottleKey::signing_code(id);
        // Taken before the check, so that concurrent guesses cannot all be checked.
        if !key
            .policy()
            .admits(store.take_attempt(&key, self.app.now()).await?)
        {
            return Err(AppError::Throttled);
        }
        let stored = credentials.clone();
        // Two Argon2id computations (the check, the new hash): off the async threads.
        let new_hash = tokio::task::spawn_blocking(move || {
            let verified = verify_password(change.current(), &stored.password_hash);
            change
                .conclude(&stored, verified.as_ref())
                .map(|new| hash_password(new.expose()))
        })
        .await
        .map_err(|e| AppError::Configuration(format!("the password check failed: {e}")))??;
        if !store
            .change_signing_password(id, &credentials.password_hash, &new_hash)
            .await?
        {
            return Err(AppError::Store(StoreError::Conflict));
        }
        if let Err(error) = store.clear_attempts(&key).await {
            tracing::warn!(%error, "could not clear the signing attempts");
        }
        self.record(&current, SecurityEventKind::SigningPasswordChanged)
            .await
    }

    /// «Συγχρονισμός OTP»: two consecutive codes of the authenticator app find how far its
    /// clock drifted; the drift is kept for later codes, and both codes are used up.
    pub async fn resynchronise_totp(
        &self,
        code1: &str,
        code2: &str,
    ) -> AppResult<Resynchronisation> {
        let (current, credentials) = self.issued().await?;
        let OtpChannel::Totp {
            secret, last_step, ..
        } = &credentials.otp
        else {
            // The email channel has nothing to synchronise.
            return Err(AppError::NotAtStep);
        };
        let mut errors = Vec::new();
        let code1 = otp_code(Field::Code1, code1)
            .map_err(|e| errors.push(e))
            .ok();
        let code2 = otp_code(Field::Code2, code2)
            .map_err(|e| errors.push(e))
            .ok();
        let (Some(code1), Some(code2)) = (code1, code2) else {
            return Err(AppError::InvalidFields(errors));
        };
        let store = self.app.store();
        let id = current.application.id;
        let now = self.app.now();
        let key = ThrottleKey::signing_code(id);
        if !key.policy().admits(store.take_attempt(&key, now).await?) {
            return Err(AppError::Throttled);
        }
        let Some(secret) = secrets::open(self.kek(), id, secret) else {
            tracing::warn!(
                application = id,
                "the TOTP secret cannot be opened (another KEK?)"
            );
            return Err(AppError::TotpCodesWrong);
        };
        let found = secret
            .resynchronise(&code1, &code2, now, Some(*last_step))
            .ok_or(AppError::TotpCodesWrong)?;
        if !store
            .resynchronise_totp(id, found.first_step, found.last_step, found.drift)
            .await?
        {
            // Another request used one of the codes first.
            return Err(AppError::TotpCodesWrong);
        }
        if let Err(error) = store.clear_attempts(&key).await {
            tracing::warn!(%error, "could not clear the signing attempts");
        }
        self.record(&current, SecurityEventKind::OtpResynchronised)
            .await?;
        Ok(found)
    }

    /// «Αίτημα ανάκλησης»: asks the ΔΨΠ to revoke the certificate, with an optional reason. The
    /// domain decides whether it may be asked (issued, not asked already).
    pub async fn request_revocation(&self, reason: &str) -> AppResult<()> {
        let current = self.at_step(None).await?;
        let reason = Reason::parse_optional(Some(reason))?;
        self.perform(&current, &Command::RequestRevocation { reason })
            .await?;
        self.record(&current, SecurityEventKind::RevocationRequested)
            .await
    }

    /// «Ιστορικό υπογραφών»: the signatures of the holder's certificate, newest first, a page
    /// at a time (`before`: the last id of the page before).
    pub async fn signing_log(&self, before: Option<i64>) -> AppResult<SigningLog> {
        let current = self.at_step(None).await?;
        let store = self.app.store();
        let scope = self.scope();
        let id = current.application.id;
        if store.certificate(&scope, id).await?.is_none() {
            return Err(AppError::NotAtStep);
        }
        let mut entries = store
            .signing_log(&scope, id, before, SIGNING_LOG_PAGE + 1)
            .await?;
        let more = entries.len() as i64 > SIGNING_LOG_PAGE;
        entries.truncate(SIGNING_LOG_PAGE as usize);
        Ok(SigningLog {
            older: more.then(|| entries.last().map(|e| e.id)).flatten(),
            total: store.signature_count(&scope, id).await?,
            entries,
        })
    }
}
