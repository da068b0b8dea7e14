//! Signing the application (`awaiting_signature`) with the signing password and a one-time
//! password of the chosen channel. The domain checks both and hands out the proof that
//! `Command::Sign` needs; the store claims the code atomically, so a code counts once. Wrong
//! tries and sent codes are throttled per application.

use certdesk_domain::otp::{EMAIL_CODE_LIFETIME, OtpChannel, email_code_from};
use certdesk_domain::signing::{ClaimedCode, SigningCheck, check, verify_password};
use certdesk_domain::throttle::ThrottleKey;
use certdesk_domain::validation::{Field, Problem, SigningPassword, ValidationError, otp_code};
use certdesk_domain::{Command, Status};
use rand::Rng;

use super::Beneficiary;
use crate::error::{AppError, AppResult};
use crate::secrets;

/// How sending a code ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSent {
    Sent,
    /// The channel is the authenticator app: there is nothing to send.
    NotEmailChannel,
}

impl Beneficiary {
    /// «Αποστολή κωδικού»: emails a new six-digit code (only the latest counts).
    pub async fn send_code(&self) -> AppResult<CodeSent> {
        let current = self.at_step(Some(Status::AwaitingSignature)).await?;
        if self.channel(&current).await? != Some(OtpChannel::Email) {
            return Ok(CodeSent::NotEmailChannel);
        }
        let store = self.app.store();
        let app_id = current.application.id;
        let key = ThrottleKey::code_sending(app_id);
        let now = self.app.now();
        if !key.policy().admits(store.take_attempt(&key, now).await?) {
            return Err(AppError::Throttled);
        }
        let code = email_code_from(rand::rng().random());
        let email = certdesk_domain::notification::one_time_password_email(
            current.employee.given_name.as_str(),
            current.employee.surname.as_str(),
            &code,
            EMAIL_CODE_LIFETIME.num_minutes(),
        );
        store
            .send_email_code(
                app_id,
                &secrets::email_code_key(self.kek()).digest(app_id, &code),
                now + EMAIL_CODE_LIFETIME,
                &email,
                now,
            )
            .await?;
        Ok(CodeSent::Sent)
    }

    /// Signs the application with the signing password and a one-time password.
    pub async fn sign(&self, password: &str, code: &str) -> AppResult<()> {
        let current = self.at_step(Some(Status::AwaitingSignature)).await?;
        let store = self.app.store();
        let app_id = current.application.id;
        let key = ThrottleKey::signing_code(app_id);
        let now = self.app.now();
        let mut errors = Vec::new();
        if password.is_empty() {
            errors.push(ValidationError::new(
                SigningPassword::FIELD,
                Problem::Missing,
            ));
        }
        let code = otp_code(Field::Otp, code).map_err(|e| errors.push(e)).ok();
        let (Some(code), true) = (code, errors.is_empty()) else {
            return Err(AppError::InvalidFields(errors));
        };
        // Taken before the check, so that concurrent guesses cannot all be checked.
        if !key.policy().admits(store.take_attempt(&key, now).await?) {
            return Err(AppError::Throttled);
        }
        let credentials = store
            .signing_credentials(&self.scope(), app_id)
            .await?
            .ok_or(AppError::EnrolmentExpired)?;
        let secret = match &credentials.otp {
            OtpChannel::Totp { secret, .. } => secrets::open(self.kek(), app_id, secret),
            OtpChannel::Email => None,
        };
        let email_codes = secrets::email_code_key(self.kek());
        let password = password.to_owned();
        // Argon2id costs tens of milliseconds: off the async threads.
        let checked = tokio::task::spawn_blocking(move || {
            let verified = verify_password(&password, &credentials.password_hash);
            check(
                app_id,
                &credentials,
                secret.as_ref(),
                verified.as_ref(),
                &email_codes,
                &code,
                now,
            )
        })
        .await
        .map_err(|e| AppError::Configuration(format!("the signing check failed: {e}")))?;
        let outcome = match checked {
            SigningCheck::Claim(claim) => {
                let id = claim.application_id();
                let claimed = match claim.code() {
                    ClaimedCode::TotpStep(step) => store.use_totp_step(id, *step).await?,
                    ClaimedCode::EmailCode(digest) => {
                        store.take_email_code(id, digest, now).await?
                    }
                };
                claim.conclude(claimed)
            }
            SigningCheck::Refused(failure) => Err(failure),
        };
        let proof = match outcome {
            Ok(proof) => proof,
            Err(failure) => return Err(AppError::Invalid(failure.error())),
        };
        self.perform(&current, &Command::Sign { proof }).await?;
        if let Err(error) = store.clear_attempts(&key).await {
            tracing::warn!(%error, "could not clear the signing attempts");
        }
        Ok(())
    }
}
