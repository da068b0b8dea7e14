//! Signing with an issued certificate (issue 11), for the portal and the signing APIs. The
//! holder is found by the username and signing password chosen at identification
//! ([`App::holder`]; the CSC API's bearer token stands for them too, `crate::csc`); each
//! signature, or batch of signatures, needs a one-time code of their channel besides
//! ([`Holder::sign`]). Confirming and signing are two steps, so that the CSC API can confirm in
//! `credentials/authorize` and sign in `signHash`: `Holder::confirm` checks the code by the
//! domain's signing check (the same proof as the application's signing) and the store claims it
//! once; `Holder::sign_confirmed` signs. The certificate must still sign
//! (`remote_signing::may_sign`), and the signing log is written only while it is unrevoked, so a
//! revocation stops signatures at once.
//!
//! Wrong passwords and codes count against the application's signing throttle, unknown
//! usernames against the client's address; a right password gives its attempt back, since the
//! signing APIs send it with every call.

use std::net::IpAddr;

use certdesk_domain::otp::{EMAIL_CODE_LIFETIME, OtpChannel, SigningCredentials, email_code_from};
use certdesk_domain::remote_signing::{
    CertificateState, Digest, SigningClient, SigningRefusal, may_sign,
};
use certdesk_domain::signing::{
    ClaimedCode, SigningCheck, VerifiedPassword, check, verify_password,
};
use certdesk_domain::throttle::ThrottleKey;
use certdesk_domain::validation::{Field, Problem, SigningPassword, ValidationError, otp_code};
use certdesk_store::prelude::*;
use rand::Rng;

use crate::App;
use crate::admin::DUMMY_HASH;
use crate::error::{AppError, AppResult};
use crate::portal::signing::CodeSent;
use crate::secrets;

/// The holder of an issued (or once issued) certificate, authenticated by username and signing
/// password.
pub struct Holder {
    pub(crate) app: App,
    pub(crate) application_id: i64,
    pub(crate) credentials: SigningCredentials,
    pub(crate) verified: VerifiedPassword,
}

/// The certificate chain of a holder, signer first: leaf, issuing CA, root (DER).
pub struct Chain {
    pub leaf: Vec<u8>,
    pub issuing: Vec<u8>,
    pub root: Vec<u8>,
}

impl App {
    /// The holder of `username`'s certificate, if `password` is its signing password.
    pub async fn holder(
        &self,
        username: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> AppResult<Holder> {
        let mut errors = Vec::new();
        if username.trim().is_empty() {
            errors.push(ValidationError::new(Field::Username, Problem::Missing));
        }
        if password.is_empty() {
            errors.push(ValidationError::new(
                SigningPassword::FIELD,
                Problem::Missing,
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::InvalidFields(errors));
        }
        let store = self.store();
        let now = self.now();
        let from = address.map(ThrottleKey::login_from_address);
        if let Some(key) = &from
            && !key.policy().admits(store.take_attempt(key, now).await?)
        {
            return Err(AppError::Throttled);
        }
        let username = username.trim().to_lowercase();
        let application_id = store.application_of_username(&username).await?;
        let credentials = match application_id {
            Some(id) => store.signing_credentials(&Scope::Everything, id).await?,
            None => None,
        };
        let key = application_id.map(ThrottleKey::signing_code);
        if let Some(key) = &key
            && !key.policy().admits(store.take_attempt(key, now).await?)
        {
            return Err(AppError::Throttled);
        }
        // An unknown username costs the same Argon2 verification as a known one.
        let stored = credentials
            .as_ref()
            .map_or_else(|| DUMMY_HASH.clone(), |c| c.password_hash.clone());
        let password = password.to_owned();
        let verified = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
            .await
            .map_err(|e| AppError::Configuration(format!("the password check failed: {e}")))?;
        let destroyed = application_id.is_some() && credentials.is_none();
        let (Some(application_id), Some(credentials), Some(verified)) =
            (application_id, credentials, verified)
        else {
            // A revoked or expired certificate's credentials are destroyed with its key: its
            // holder is told why it no longer signs (as OCSP would tell anyone), not that the
            // password is wrong.
            if let Some(id) = application_id.filter(|_| destroyed)
                && let Some(refusal) = self.signing_refusal(id).await?
                && refusal != SigningRefusal::NotIssued
            {
                return Err(AppError::CannotSign(refusal));
            }
            return Err(AppError::WrongCredentials);
        };
        for key in from.iter().chain(key.iter()) {
            store.give_back_attempt(key).await?;
        }
        Ok(Holder {
            app: self.clone(),
            application_id,
            credentials,
            verified,
        })
    }
}

impl App {
    /// The employee whose application `id` is (the holder of its certificate).
    pub(crate) async fn employee_of(&self, id: i64) -> AppResult<EmployeeRecord> {
        let store = self.store();
        let application = store
            .application(&Scope::Everything, id)
            .await?
            .ok_or(AppError::NotFound)?;
        store
            .employee(&Scope::Everything, application.employee_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Emails a new signing code for the issued certificate of application `id` (only the
    /// latest counts), throttled per application.
    pub(crate) async fn send_signing_code(&self, id: i64) -> AppResult<CodeSent> {
        let store = self.store();
        let now = self.now();
        let key = ThrottleKey::code_sending(id);
        if !key.policy().admits(store.take_attempt(&key, now).await?) {
            return Err(AppError::Throttled);
        }
        let employee = self.employee_of(id).await?;
        let code = email_code_from(rand::rng().random());
        let email = certdesk_domain::notification::one_time_password_email(
            employee.given_name.as_str(),
            employee.surname.as_str(),
            &code,
            EMAIL_CODE_LIFETIME.num_minutes(),
        );
        let kek = self.ca.as_ref().map(|ca| &ca.kek);
        store
            .send_email_code(
                id,
                &secrets::email_code_key(kek).digest(id, &code),
                now + EMAIL_CODE_LIFETIME,
                &email,
                now,
            )
            .await?;
        Ok(CodeSent::Sent)
    }

    /// Why the certificate of application `id` does not sign now, if it does not.
    pub(crate) async fn signing_refusal(&self, id: i64) -> AppResult<Option<SigningRefusal>> {
        let store = self.store();
        let application = store
            .application(&Scope::Everything, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let Some(certificate) = store.certificate(&Scope::Everything, id).await? else {
            return Ok(Some(SigningRefusal::NotIssued));
        };
        let state = CertificateState {
            status: application.status,
            not_before: certificate.not_before,
            not_after: certificate.not_after,
            revoked_at: certificate.revoked_at,
        };
        Ok(may_sign(&state, self.now()).err())
    }
}

impl Holder {
    pub fn application_id(&self) -> i64 {
        self.application_id
    }

    /// The channel of the holder's one-time codes.
    pub fn channel(&self) -> &OtpChannel {
        &self.credentials.otp
    }

    fn kek(&self) -> Option<&certdesk_ca::KeyEncryptionKey> {
        self.app.ca.as_ref().map(|ca| &ca.kek)
    }

    fn open_kek(&self) -> AppResult<&certdesk_ca::KeyEncryptionKey> {
        self.kek()
            .ok_or_else(|| AppError::Configuration("no certificate authority is open".into()))
    }

    /// Whether the certificate signs now, and why not.
    pub async fn may_sign(&self) -> AppResult<()> {
        match self.app.signing_refusal(self.application_id).await? {
            Some(refusal) => Err(AppError::CannotSign(refusal)),
            None => Ok(()),
        }
    }

    /// The certificate and its CA chain, signer first; only while the certificate signs.
    pub async fn chain(&self) -> AppResult<Chain> {
        self.may_sign().await?;
        let store = self.app.store();
        let leaf = store
            .certificate(&Scope::Everything, self.application_id)
            .await?
            .ok_or(AppError::NotFound)?
            .der;
        let ca = store
            .authority()
            .await?
            .ok_or_else(|| AppError::Configuration("no certificate authority".to_owned()))?;
        Ok(Chain {
            leaf,
            issuing: ca.issuing_der,
            root: ca.root_der,
        })
    }

    /// Emails a new one-time code when the channel is email (only the latest counts).
    pub async fn send_code(&self) -> AppResult<CodeSent> {
        self.may_sign().await?;
        if self.credentials.otp != OtpChannel::Email {
            return Ok(CodeSent::NotEmailChannel);
        }
        self.app.send_signing_code(self.application_id).await
    }

    /// Signs `digests` (one confirmation, one signature each, in their order) after checking
    /// the one-time `code`; the signing log records each for `client` at `address`.
    pub async fn sign(
        &self,
        code: &str,
        digests: &[Digest],
        client: SigningClient,
        address: Option<IpAddr>,
    ) -> AppResult<Vec<Vec<u8>>> {
        self.sign_unrecorded(code, digests, client, address)
            .await?
            .record()
            .await
    }

    /// As [`Holder::sign`], but the signatures are neither recorded nor handed out until
    /// [`Unrecorded::record`]: for a caller that needs them first for something that may fail
    /// (the portal's signature timestamps), so that a signature dropped then was never logged
    /// nor seen by anyone. The one-time code is spent all the same.
    pub async fn sign_unrecorded<'a>(
        &'a self,
        code: &str,
        digests: &[Digest],
        client: SigningClient,
        address: Option<IpAddr>,
    ) -> AppResult<Unrecorded<'a>> {
        otp_code(Field::Otp, code)?;
        if digests.is_empty() {
            return Err(AppError::Invalid(ValidationError::new(
                Field::Hash,
                Problem::Missing,
            )));
        }
        self.confirm(code).await?;
        self.make_signatures(digests, client, address).await
    }

    /// Checks the one-time `code` of the holder's channel and claims it, so that it counts
    /// once: the confirmation of a signature (or a batch). Wrong codes count against the
    /// application's signing throttle; a right one clears it. Only while the certificate signs.
    pub(crate) async fn confirm(&self, code: &str) -> AppResult<()> {
        let code = otp_code(Field::Otp, code)?;
        let store = self.app.store();
        let id = self.application_id;
        let now = self.app.now();
        let key = ThrottleKey::signing_code(id);
        if !key.policy().admits(store.take_attempt(&key, now).await?) {
            return Err(AppError::Throttled);
        }
        self.may_sign().await?;
        let kek = self.open_kek()?;
        let secret = match &self.credentials.otp {
            OtpChannel::Totp { secret, .. } => secrets::open(Some(kek), id, secret),
            OtpChannel::Email => None,
        };
        let checked = check(
            id,
            &self.credentials,
            secret.as_ref(),
            Some(&self.verified),
            &secrets::email_code_key(Some(kek)),
            &code,
            now,
        );
        let claim = match checked {
            SigningCheck::Claim(claim) => claim,
            SigningCheck::Refused(failure) => return Err(AppError::Invalid(failure.error())),
        };
        let claimed = match claim.code() {
            ClaimedCode::TotpStep(step) => store.use_totp_step(id, *step).await?,
            ClaimedCode::EmailCode(digest) => store.take_email_code(id, digest, now).await?,
        };
        if let Err(failure) = claim.conclude(claimed) {
            return Err(AppError::Invalid(failure.error()));
        }
        if let Err(error) = store.clear_attempts(&key).await {
            tracing::warn!(%error, "could not clear the signing attempts");
        }
        Ok(())
    }

    /// Signs `digests` with the holder's key, once a signature was confirmed ([`Holder::confirm`],
    /// or a SAD's use claimed): the signing log records each for `client` at `address`, and
    /// nothing is handed out unless it was recorded while the certificate was unrevoked.
    pub(crate) async fn sign_confirmed(
        &self,
        digests: &[Digest],
        client: SigningClient,
        address: Option<IpAddr>,
    ) -> AppResult<Vec<Vec<u8>>> {
        self.make_signatures(digests, client, address)
            .await?
            .record()
            .await
    }

    /// The key's signatures of `digests`, once confirmed, not recorded yet.
    async fn make_signatures(
        &self,
        digests: &[Digest],
        client: SigningClient,
        address: Option<IpAddr>,
    ) -> AppResult<Unrecorded<'_>> {
        let store = self.app.store();
        let id = self.application_id;
        let kek = self.open_kek()?;
        let sealed = store
            .sealed_key(id)
            .await?
            .ok_or(AppError::CannotSign(SigningRefusal::Revoked))?;
        let raw: Vec<[u8; 32]> = digests.iter().map(|d| *d.as_bytes()).collect();
        let signatures = certdesk_ca::remote::sign_digests(kek, id, &sealed, &raw)
            .map_err(|e| AppError::Configuration(e.to_string()))?;
        Ok(Unrecorded {
            holder: self,
            digests: digests.to_vec(),
            client,
            address,
            signatures,
        })
    }
}

/// Signatures made by a holder's key, in the order of their digests, that the signing log does
/// not record yet: nobody gets them before [`Unrecorded::record`], and dropped, they are gone.
pub struct Unrecorded<'a> {
    holder: &'a Holder,
    digests: Vec<Digest>,
    client: SigningClient,
    address: Option<IpAddr>,
    signatures: Vec<Vec<u8>>,
}

impl Unrecorded<'_> {
    /// The signatures (DER), to work with before they are recorded.
    pub fn signatures(&self) -> &[Vec<u8>] {
        &self.signatures
    }

    /// Records the signatures in the signing log and hands them out, only while the
    /// certificate is unrevoked.
    pub async fn record(self) -> AppResult<Vec<Vec<u8>>> {
        let holder = self.holder;
        let recorded = holder
            .app
            .store()
            .record_signatures(&NewSignatures {
                application_id: holder.application_id,
                at: holder.app.now(),
                digests: self.digests.iter().map(Digest::to_hex).collect(),
                client: self.client,
                address: self.address,
            })
            .await?;
        // Revoked between the check and now: the signatures are not handed out.
        if !recorded {
            return Err(AppError::CannotSign(SigningRefusal::Revoked));
        }
        holder
            .app
            .metrics()
            .signed(self.client, self.signatures.len() as u64);
        Ok(self.signatures)
    }
}
