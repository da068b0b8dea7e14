//! Proving the work email (issue 10): the start email's «Έναρξη» link, remembered by the browser
//! through the tax-registry login, or a six-digit code sent to the address and typed back. The
//! domain checks either against what the store keeps for the beneficiary's own application and
//! hands out the proof that `Command::ProveEmail` needs; the transition records it in the history
//! and spends the link and the code, guarded by the application's version, so a proof counts
//! once. Codes sent and codes typed are throttled per application.

use certdesk_domain::Command;
use certdesk_domain::email_proof::{CODE_LIFETIME, EmailProof, Stored, check_code, check_link};
use certdesk_domain::otp::email_code_from;
use certdesk_domain::throttle::ThrottleKey;
use certdesk_domain::validation::{Field, otp_code};
use certdesk_store::prelude::*;
use rand::Rng;

use super::{Beneficiary, Current};
use crate::error::{AppError, AppResult};
use crate::secrets;

/// How often a proof is decided again after losing a race (see `workflow::perform`).
const ATTEMPTS: usize = 5;

fn stored<'a>(
    digest: &'a Option<String>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<Stored<'a>> {
    Some(Stored {
        digest: digest.as_deref()?,
        expires_at: expires_at?,
    })
}

impl Beneficiary {
    /// Whether the current application's email is proven.
    pub async fn email_proven(&self) -> AppResult<bool> {
        Ok(self.at_step(None).await?.application.email_proof.is_some())
    }

    /// The token of the «Έναρξη» link, checked against this beneficiary's own application.
    pub async fn prove_email_by_link(&self, token: &str) -> AppResult<()> {
        self.prove(|current, secrets, now| {
            check_link(
                current.application.id,
                token,
                stored(&secrets.link_hash, secrets.link_expires_at),
                now,
            )
        })
        .await
    }

    /// «Αποστολή κωδικού επιβεβαίωσης»: emails a new six-digit code (only the latest counts).
    pub async fn send_email_proof_code(&self) -> AppResult<()> {
        let current = self.unproven().await?;
        let store = self.app.store();
        let app_id = current.application.id;
        let key = ThrottleKey::code_sending(app_id);
        let now = self.app.now();
        if !key.policy().admits(store.take_attempt(&key, now).await?) {
            return Err(AppError::Throttled);
        }
        let code = email_code_from(rand::rng().random());
        let email = certdesk_domain::notification::email_proof_code_email(
            current.employee.given_name.as_str(),
            current.employee.surname.as_str(),
            &code,
            CODE_LIFETIME.num_minutes(),
        );
        let digest = secrets::email_code_key(self.kek()).digest(app_id, &code);
        store
            .send_email_proof_code(app_id, &digest, now + CODE_LIFETIME, &email, now)
            .await?;
        Ok(())
    }

    /// The code typed back; wrong codes are throttled like signing codes.
    pub async fn prove_email_by_code(&self, code: &str) -> AppResult<()> {
        let current = self.unproven().await?;
        let code = otp_code(Field::EmailCode, code)?;
        let key = ThrottleKey::email_proof_code(current.application.id);
        let store = self.app.store();
        // Taken before the check, so that concurrent guesses cannot all be checked.
        if !key
            .policy()
            .admits(store.take_attempt(&key, self.app.now()).await?)
        {
            return Err(AppError::Throttled);
        }
        let codes = secrets::email_code_key(self.kek());
        self.prove(|current, secrets, now| {
            check_code(
                current.application.id,
                &codes,
                &code,
                stored(&secrets.code_digest, secrets.code_expires_at),
                now,
            )
        })
        .await?;
        if let Err(error) = store.clear_attempts(&key).await {
            tracing::warn!(%error, "could not clear the email code attempts");
        }
        Ok(())
    }

    /// The current application, while its email awaits a proof.
    async fn unproven(&self) -> AppResult<Current> {
        let current = self.at_step(None).await?;
        if current.application.email_proof.is_some() {
            return Err(AppError::NotAtStep);
        }
        Ok(current)
    }

    /// Reads the application and its secrets, lets `check` make the proof, and records it.
    async fn prove(
        &self,
        check: impl Fn(
            &Current,
            &EmailProofSecrets,
            chrono::DateTime<chrono::Utc>,
        ) -> Result<EmailProof, certdesk_domain::email_proof::ProofRefused>,
    ) -> AppResult<()> {
        let store = self.app.store();
        for _ in 0..ATTEMPTS {
            let current = self.at_step(None).await?;
            let now = self.app.now();
            let secrets = store
                .email_proof_secrets(&self.scope(), current.application.id)
                .await?
                .unwrap_or_default();
            let proof = check(&current, &secrets, now).map_err(AppError::EmailProofRefused)?;
            let transition = certdesk_domain::transition::decide(
                &current.application.as_domain(),
                &Command::ProveEmail { proof },
                &current.actor(),
                now,
            )?;
            match store.commit_transition(&transition).await {
                Ok(()) => return Ok(()),
                // Another request changed the application (or proved it): look again.
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Store(StoreError::Conflict))
    }
}
