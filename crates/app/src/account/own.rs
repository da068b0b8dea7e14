//! What the owner of an account of any role (ΔΨΠ, operator, auditor) does to it: changing the
//! password (forced at the first login), enrolling a TOTP app with its recovery codes, and ending
//! every session («Αποσύνδεση από όλες τις συσκευές»).

use certdesk_domain::account_password::AccountPassword;
use certdesk_domain::otp::TotpSecret;
use certdesk_domain::second_factor::{
    RECOVERY_CODE_BYTES, RECOVERY_CODES, normalise_recovery_code, recovery_code_digest,
    recovery_code_from,
};
use certdesk_domain::security::{SecurityEvent, SecurityEventKind};
use certdesk_domain::throttle::ThrottleKey;
use certdesk_domain::validation::{Field, Problem, ValidationError, otp_code};
use rand::Rng;

use super::Account;
use crate::error::{AppError, AppResult};
use crate::secrets;
use crate::tokens::{hash_password_off_thread, verify_password};

/// The issuer an authenticator app shows next to the codes.
const TOTP_ISSUER: &str = "certdesk";

/// What the enrolment page shows: the secret, as a QR code of its URI and as text.
pub struct TotpEnrolment {
    pub secret: TotpSecret,
    pub account: String,
}

impl TotpEnrolment {
    pub fn otpauth_uri(&self) -> String {
        self.secret.otpauth_uri(TOTP_ISSUER, &self.account)
    }
}

impl Account {
    /// What the account must still set up before anything else is open to it.
    pub fn pending_setup(&self) -> Option<certdesk_domain::second_factor::Setup> {
        self.session.security.pending_setup()
    }

    fn login_key(&self) -> ThrottleKey {
        ThrottleKey::administrator_login(&self.session.username)
    }

    /// Takes an attempt of the account's login throttle: the current password and the codes
    /// typed here are guessed as at the login, so they count together.
    async fn take_login_attempt(&self) -> AppResult<()> {
        let key = self.login_key();
        let store = self.app.store();
        if key
            .policy()
            .admits(store.take_attempt(&key, self.app.now()).await?)
        {
            Ok(())
        } else {
            Err(AppError::Throttled)
        }
    }

    /// Replaces the password: the current one, then the new one twice (the policy of
    /// [`AccountPassword`]). The account's other sessions and tokens end.
    pub async fn change_password(
        &self,
        current: &str,
        new: &str,
        confirmation: &str,
    ) -> AppResult<()> {
        let username = self.session.username.clone();
        let mut errors = Vec::new();
        if current.is_empty() {
            errors.push(ValidationError::new(Field::Password, Problem::Missing));
        }
        let new = AccountPassword::parse_new(new, confirmation, &username)
            .map_err(|e| errors.push(e))
            .ok();
        let Some(new) = new.filter(|_| errors.is_empty()) else {
            return Err(AppError::InvalidFields(errors));
        };
        self.take_login_attempt().await?;
        let store = self.app.store();
        let account = store
            .administrator_by_username(&username)
            .await?
            .ok_or(AppError::NotFound)?;
        let (current, stored) = (current.to_owned(), account.password_hash.clone());
        let matches = tokio::task::spawn_blocking(move || verify_password(&current, &stored))
            .await
            .unwrap_or(false);
        if !matches {
            return Err(AppError::InvalidFields(vec![ValidationError::new(
                Field::Password,
                Problem::Incorrect,
            )]));
        }
        store.clear_attempts(&self.login_key()).await?;
        let hash = hash_password_off_thread(new.expose().to_owned()).await;
        store
            .change_administrator_password(account.id, &hash)
            .await?;
        store
            .delete_sessions_of(account.id, Some(&self.token_hash))
            .await?;
        self.app
            .record_security_event(&SecurityEvent::account_change(
                SecurityEventKind::PasswordChanged,
                Some(&username),
                &username,
                Some("by_owner"),
            ))
            .await?;
        Ok(())
    }

    /// The TOTP app to enrol: the secret this session was shown, or a new one (kept sealed in
    /// the session until its first code confirms it). `None` once the account has one.
    pub async fn totp_enrolment(&self) -> AppResult<Option<TotpEnrolment>> {
        if self.session.security.second_factor_enrolled {
            return Ok(None);
        }
        let id = self.session.administrator_id;
        let kek = self.app.kek();
        let shown = self
            .session
            .pending_totp_secret
            .as_ref()
            .and_then(|stored| secrets::open_for_administrator(kek, id, stored));
        let secret = match shown {
            Some(secret) => secret,
            None => {
                let mut bytes = [0u8; TotpSecret::LEN];
                rand::rng().fill(&mut bytes);
                let secret = TotpSecret::from_bytes(bytes);
                let sealed = secrets::seal_for_administrator(kek, id, &secret);
                self.app
                    .store()
                    .set_pending_totp_secret(&self.token_hash, Some(&sealed))
                    .await?;
                secret
            }
        };
        Ok(Some(TotpEnrolment {
            secret,
            account: self.session.username.clone(),
        }))
    }

    /// Confirms the enrolment with a code of the app, and answers the recovery codes, to be
    /// shown once (only their hashes are kept). Wrong codes are throttled with the login.
    pub async fn confirm_totp(&self, code: &str) -> AppResult<Vec<String>> {
        if self.session.security.second_factor_enrolled {
            return Err(AppError::NotAtStep);
        }
        let id = self.session.administrator_id;
        let kek = self.app.kek();
        let secret = self
            .session
            .pending_totp_secret
            .as_ref()
            .and_then(|stored| secrets::open_for_administrator(kek, id, stored))
            .ok_or(AppError::EnrolmentExpired)?;
        let code = otp_code(Field::Otp, code)?;
        self.take_login_attempt().await?;
        let now = self.app.now();
        let step = secret
            .verify(&code, now, None)
            .ok_or(ValidationError::new(Field::Otp, Problem::Incorrect))?;
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let mut bytes = [0u8; RECOVERY_CODE_BYTES];
                rand::rng().fill(&mut bytes);
                recovery_code_from(bytes)
            })
            .collect();
        let hashes: Vec<String> = codes
            .iter()
            .filter_map(|c| normalise_recovery_code(c))
            .map(|c| recovery_code_digest(id, &c))
            .collect();
        let store = self.app.store();
        store
            .enrol_totp(
                id,
                &secrets::seal_for_administrator(kek, id, &secret),
                step,
                &hashes,
            )
            .await?;
        store.clear_attempts(&self.login_key()).await?;
        self.app
            .record_security_event(&SecurityEvent::second_factor_changed(
                &self.session.username,
                None,
                "enrolled",
            ))
            .await?;
        Ok(codes)
    }

    /// Ends every console session and API token of the account, this one included.
    pub async fn log_out_everywhere(&self) -> AppResult<u64> {
        let ended = self
            .app
            .store()
            .delete_sessions_of(self.session.administrator_id, None)
            .await?;
        let me = &self.session.username;
        self.app
            .record_security_event(&SecurityEvent::account_change(
                SecurityEventKind::SessionsEnded,
                Some(me),
                me,
                Some("by_owner"),
            ))
            .await?;
        Ok(ended)
    }
}
