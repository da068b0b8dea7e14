//! Enrolling the authenticator app: the choice of username and signing password waits in the
//! portal session, with the new TOTP secret sealed, until the app shows two consecutive codes.
//! Wrong codes are throttled like signing codes.

use certdesk_domain::Status;
use certdesk_domain::otp::{OtpChannel, SigningCredentials, StoredSecret, TotpSecret};
use certdesk_domain::throttle::ThrottleKey;
use certdesk_domain::validation::{Field, Username, otp_code};
use serde::{Deserialize, Serialize};

use super::{Beneficiary, Current};
use crate::error::{AppError, AppResult};
use crate::secrets;

/// The issuer an authenticator app shows next to the codes.
pub const TOTP_ISSUER: &str = "certdesk";

/// A choice of username and signing password that waits for the TOTP app's two codes (the secret
/// sealed as in `signing_credentials`).
#[derive(Serialize, Deserialize)]
pub(super) struct Enrolment {
    pub application_id: i64,
    pub username: String,
    pub password_hash: String,
    pub totp_secret: String,
}

impl Enrolment {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an enrolment serializes")
    }
}

/// What the enrolment page shows: the account name and the secret, as a QR code and as text.
pub struct PendingEnrolment {
    pub username: String,
    pub secret: TotpSecret,
}

impl PendingEnrolment {
    /// The `otpauth://` URI the QR code carries.
    pub fn otpauth_uri(&self) -> String {
        self.secret.otpauth_uri(TOTP_ISSUER, &self.username)
    }
}

impl Beneficiary {
    /// The enrolment waiting for the current application, if any.
    pub async fn pending_enrolment(&self) -> AppResult<Option<PendingEnrolment>> {
        let current = self.at_step(None).await?;
        Ok(self
            .waiting(&current)
            .map(|(enrolment, secret)| PendingEnrolment {
                username: enrolment.username,
                secret,
            }))
    }

    fn waiting(&self, current: &Current) -> Option<(Enrolment, TotpSecret)> {
        let enrolment: Enrolment = serde_json::from_str(self.session.enrolment.as_deref()?).ok()?;
        if enrolment.application_id != current.application.id
            || current.application.status != Status::AwaitingIdentification
        {
            return None;
        }
        let secret = secrets::open(
            self.kek(),
            current.application.id,
            &StoredSecret(enrolment.totp_secret.clone()),
        )?;
        Some((enrolment, secret))
    }

    /// Confirms the enrolment with two consecutive codes of the app, and completes the
    /// identification.
    pub async fn confirm_totp(&self, code1: &str, code2: &str) -> AppResult<()> {
        let current = self.at_step(None).await?;
        let (enrolment, secret) = self.waiting(&current).ok_or(AppError::EnrolmentExpired)?;
        let store = self.app.store();
        let now = self.app.now();
        let app_id = current.application.id;
        let key = ThrottleKey::signing_code(app_id);
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
        // Taken before the check, so that concurrent guesses cannot all be checked.
        if !key.policy().admits(store.take_attempt(&key, now).await?) {
            return Err(AppError::Throttled);
        }
        let Some(last_step) = secret.verify_consecutive(&code1, &code2, now) else {
            return Err(AppError::TotpCodesWrong);
        };
        let username =
            Username::parse(&enrolment.username).map_err(|_| AppError::EnrolmentExpired)?;
        store.set_portal_enrolment(&self.token_hash, None).await?;
        store.clear_attempts(&key).await?;
        let credentials = SigningCredentials {
            password_hash: enrolment.password_hash,
            otp: OtpChannel::Totp {
                secret: secrets::seal(self.kek(), app_id, &secret),
                last_step,
                drift: 0,
            },
        };
        self.complete(&current, username, credentials).await
    }
}
