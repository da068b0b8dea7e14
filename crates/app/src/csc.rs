//! The CSC API's use cases (issue 11): a holder logs in with username and signing password
//! ([`App::csc_login`], the same throttled check as the other signing APIs) and gets a bearer
//! token, of which the store keeps the SHA-256, bound to the application and to the signing
//! password's hash ([`App::csc_holder`] turns it back into a [`Holder`]). A signature is
//! confirmed once with a one-time code ([`Holder::authorize`]: the code is checked and claimed
//! by `Holder::confirm`, as for the portal and SignBuffer), which gives a SAD bound to exactly
//! the hashes confirmed; [`Holder::sign_with_sad`] spends it, each hash once, while fresh
//! (`domain::csc`), claimed atomically by the store before the key signs. A SAD authorized
//! without hashes is v2's for `signatures/signDoc` ([`Holder::sign_documents_with_sad`]): PDFs
//! in, each signed with PAdES B-B by `crate::pades` (the portal's engine), at most
//! `numSignatures` of them, in one call.

use std::net::IpAddr;

use certdesk_domain::csc::{ACCESS_TOKEN_LIFETIME, Authorization, SAD_LIFETIME, SadRefusal};
use certdesk_domain::remote_signing::{Digest, SigningClient, SigningRefusal};
use certdesk_domain::signing::VerifiedPassword;
use certdesk_domain::validation::{Field, Problem, ValidationError};
use certdesk_store::prelude::*;

use crate::App;
use crate::error::{AppError, AppResult};
use crate::pades::{self, Document};
use crate::signer::{Chain, Holder};
use crate::tokens::{new_token, token_hash};

/// A bearer token of `auth/login`.
pub struct CscLogin {
    pub access_token: String,
    /// Seconds.
    pub expires_in: i64,
}

/// Signature activation data of `credentials/authorize`.
pub struct GrantedSad {
    pub sad: String,
    /// Seconds.
    pub expires_in: i64,
}

/// The holder's one credential as `credentials/info` describes it.
pub struct Credential {
    pub chain: Chain,
    /// Upper-case hexadecimal.
    pub serial: String,
    pub subject_dn: String,
    pub issuer_dn: String,
    pub not_before: chrono::DateTime<chrono::Utc>,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

impl App {
    /// `auth/login`: a bearer token for the holder of `username`'s certificate, if `password` is
    /// its signing password and the certificate signs.
    pub async fn csc_login(
        &self,
        username: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> AppResult<CscLogin> {
        let holder = self.holder(username, password, address).await?;
        holder.may_sign().await?;
        let token = new_token();
        let now = self.now();
        self.store()
            .create_csc_token(&NewCscToken {
                token_hash: token_hash(&token),
                application_id: holder.application_id,
                password_fingerprint: holder.verified.fingerprint(),
                created_at: now,
                expires_at: now + ACCESS_TOKEN_LIFETIME,
            })
            .await?;
        Ok(CscLogin {
            access_token: token,
            expires_in: ACCESS_TOKEN_LIFETIME.num_seconds(),
        })
    }

    /// The holder a bearer token of `auth/login` stands for: `None` when the token is unknown,
    /// expired or logged out, or the signing password changed since; a refusal when the
    /// certificate no longer signs (its credentials are destroyed with its key).
    pub async fn csc_holder(&self, token: &str) -> AppResult<Option<Holder>> {
        let store = self.store();
        let Some(record) = store.csc_token(&token_hash(token), self.now()).await? else {
            return Ok(None);
        };
        let id = record.application_id;
        let Some(credentials) = store.signing_credentials(&Scope::Everything, id).await? else {
            return match self.signing_refusal(id).await? {
                Some(refusal) if refusal != SigningRefusal::NotIssued => {
                    Err(AppError::CannotSign(refusal))
                }
                _ => Ok(None),
            };
        };
        let Some(verified) =
            VerifiedPassword::remembered(&record.password_fingerprint, &credentials)
        else {
            return Ok(None);
        };
        Ok(Some(Holder {
            app: self.clone(),
            application_id: id,
            credentials,
            verified,
        }))
    }

    /// `auth/revoke`: the token no longer works.
    pub async fn csc_logout(&self, token: &str) -> AppResult<()> {
        Ok(self.store().delete_csc_token(&token_hash(token)).await?)
    }
}

impl Holder {
    /// The identifier of the holder's one credential (`credentialID`).
    pub fn credential_id(&self) -> String {
        self.application_id.to_string()
    }

    /// That a request names the holder's credential (`credentialID`, required).
    pub fn check_credential_id(&self, given: Option<&str>) -> AppResult<()> {
        match given.map(str::trim) {
            None | Some("") => {
                Err(ValidationError::new(Field::CredentialId, Problem::Missing).into())
            }
            Some(id) if id == self.credential_id() => Ok(()),
            Some(_) => Err(ValidationError::new(Field::CredentialId, Problem::Incorrect).into()),
        }
    }

    /// The credential's certificate chain and what its certificate says; only while it signs.
    pub async fn credential(&self) -> AppResult<Credential> {
        let chain = self.chain().await?;
        let description = certdesk_ca::authority::describe(&chain.leaf);
        let certificate = self
            .app
            .store()
            .certificate(&Scope::Everything, self.application_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Credential {
            chain,
            serial: description.serial,
            subject_dn: description.subject,
            issuer_dn: description.issuer,
            not_before: certificate.not_before,
            not_after: certificate.not_after,
        })
    }

    /// `credentials/authorize`: checks and claims the one-time `code` (throttled, once), and
    /// gives a SAD that signs exactly the authorization's hashes, each once (or, authorized
    /// without hashes, up to `numSignatures` documents in one `signDoc`), for [`SAD_LIFETIME`].
    /// The store keeps only the SAD's SHA-256.
    pub async fn authorize(
        &self,
        code: &str,
        authorization: &Authorization,
    ) -> AppResult<GrantedSad> {
        self.confirm(code).await?;
        let sad = new_token();
        let now = self.app.now();
        self.app
            .store()
            .create_sad(&NewSad {
                sad_hash: token_hash(&sad),
                application_id: self.application_id,
                binding: authorization.binding().clone(),
                created_at: now,
                expires_at: authorization.expires_at(now),
            })
            .await?;
        Ok(GrantedSad {
            sad,
            expires_in: SAD_LIFETIME.num_seconds(),
        })
    }

    /// `signatures/signHash`: signs `digests` (in their order) with the SAD `sad`, if it was
    /// given to this holder for them and has not signed them yet; the signing log records
    /// each, for the CSC client at `address`.
    pub async fn sign_with_sad(
        &self,
        sad: &str,
        digests: &[Digest],
        address: Option<IpAddr>,
    ) -> AppResult<Vec<Vec<u8>>> {
        let store = self.app.store();
        let sad_hash = token_hash(sad);
        let stored = store
            .sad(&sad_hash, self.application_id)
            .await?
            .ok_or(AppError::SadRefused(SadRefusal::Unknown))?;
        let now = self.app.now();
        let usage = stored
            .check_use(digests, now)
            .map_err(AppError::SadRefused)?;
        self.may_sign().await?;
        let claimed = store
            .claim_sad(&sad_hash, self.application_id, usage.digests(), now)
            .await?;
        let digests = usage.conclude(claimed).map_err(AppError::SadRefused)?;
        self.sign_confirmed(&digests, SigningClient::Csc, address)
            .await
    }

    /// v2's `signatures/signDoc`: signs `documents` (PDFs, each with a PAdES B-B signature of
    /// its own, in their order; B-LT, the validation data embedded, when `embed_validation_data`) with the SAD `sad`, if it was given to this holder for
    /// documents, without hashes, for at least as many, and no `signDoc` spent it yet. The SAD
    /// is checked before the PDFs are read, and claimed only once every PDF is found signable:
    /// nothing is signed when any is refused. The signing log records each signature, for the
    /// CSC client at `address`.
    pub async fn sign_documents_with_sad(
        &self,
        sad: &str,
        documents: &[Document],
        embed_validation_data: bool,
        address: Option<IpAddr>,
    ) -> AppResult<Vec<Vec<u8>>> {
        pades::check_batch(documents)?;
        let store = self.app.store();
        let sad_hash = token_hash(sad);
        let stored = store
            .sad(&sad_hash, self.application_id)
            .await?
            .ok_or(AppError::SadRefused(SadRefusal::Unknown))?;
        let usage = stored
            .check_documents(documents.len(), self.app.now())
            .map_err(AppError::SadRefused)?;
        let chain = self.chain().await?;
        let now = self.app.now();
        let options = pades::signature_options(&self.signer_name().await?, now, None);
        let prepared = pades::prepare(documents, &chain.leaf, &options)?;
        let claimed = store
            .claim_sad_documents(&sad_hash, self.application_id, now)
            .await?;
        usage.conclude(claimed).map_err(AppError::SadRefused)?;
        let signatures = self
            .sign_confirmed(prepared.digests(), SigningClient::Csc, address)
            .await?;
        let validation = match embed_validation_data {
            true => Some(
                crate::pki::validation_data(&self.app, &chain.leaf)
                    .await
                    .map_err(|e| AppError::Configuration(format!("the validation data: {e:?}")))?,
            ),
            false => None,
        };
        prepared.finish(
            signatures.into_iter().map(|s| (s, None)).collect(),
            chain,
            validation.as_ref(),
        )
    }
}
