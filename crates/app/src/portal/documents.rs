//! «Υπογραφή εγγράφου»: the holder of an issued certificate signs PDF documents in the portal.
//! One confirmation (the signing password and a one-time code of their channel) signs a batch,
//! each document with its own PAdES signature (`certdesk_pdf`, through `crate::pades`, which the CSC
//! API's signDoc shares), optionally visible on a page.
//! Each signed document carries what validates it later without asking anyone (PAdES B-LT): the
//! chain, the OCSP answer about the holder's certificate and the root's CRL about the issuing CA
//! (`certdesk_pdf::add_validation_data`, `crate::pki::validation_data`).
//! The signatures are made by `app::signer`, so the rules, the throttle and the signing log are
//! the signing APIs'.
//!
//! B-T: with a time-stamping authority configured (`crate::timestamp`), each signature gets a
//! signature timestamp before the signing log records it. A TSA that fails refuses the whole
//! batch, and then no signature is recorded or handed out (the one-time code is spent; another
//! code signs again).

use std::net::IpAddr;

use certdesk_domain::Status;
use certdesk_domain::remote_signing::SigningClient;

use super::Beneficiary;
use super::signing::CodeSent;
use crate::error::{AppError, AppResult};
use crate::pades;
use crate::signer::Holder;

/// A PDF to sign, as uploaded (its file name).
pub use crate::pades::Document;

/// Where a visible signature goes: a page (1-based); the box is at the page's lower left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub page: u32,
}

/// A signed PDF, to download.
pub struct SignedDocument {
    /// The upload's name with `-signed` before `.pdf`.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// `report.pdf` → `report-signed.pdf`; any other name gets `-signed.pdf`.
fn signed_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let stem = base
        .strip_suffix(".pdf")
        .or_else(|| base.strip_suffix(".PDF"))
        .unwrap_or(base);
    let stem = if stem.is_empty() { "document" } else { stem };
    format!("{stem}-signed.pdf")
}

impl Beneficiary {
    /// The holder behind this login, by the signing password: only an issued certificate.
    async fn holder(&self, password: &str, address: Option<IpAddr>) -> AppResult<Holder> {
        let current = self.at_step(Some(Status::Issued)).await?;
        let username = self
            .app
            .store()
            .reserved_username(current.application.id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.app.holder(&username, password, address).await
    }

    /// The channel of the one-time codes that confirm a signature (`"email"`, `"totp"`), when
    /// the beneficiary holds a certificate that signs; `None` otherwise.
    pub async fn document_signing_channel(&self) -> AppResult<Option<&'static str>> {
        let Some(current) = self.current().await? else {
            return Ok(None);
        };
        let id = current.application.id;
        if current.application.status != Status::Issued
            || self.app.signing_refusal(id).await?.is_some()
        {
            return Ok(None);
        }
        Ok(self.channel(&current).await?.map(|c| c.code()))
    }

    /// The time-stamping authority (its host) whose timestamps the signatures carry (B-T);
    /// `None`: no TSA is configured, the signatures are B-B.
    pub fn document_timestamp_authority(&self) -> Option<String> {
        self.app.tsa.as_ref().map(|tsa| tsa.host())
    }

    /// «Αποστολή κωδικού» for signing documents, when the channel is email.
    pub async fn send_document_code(&self) -> AppResult<CodeSent> {
        let current = self.at_step(Some(Status::Issued)).await?;
        let id = current.application.id;
        if let Some(refusal) = self.app.signing_refusal(id).await? {
            return Err(AppError::CannotSign(refusal));
        }
        if self.channel(&current).await? != Some(certdesk_domain::otp::OtpChannel::Email) {
            return Ok(CodeSent::NotEmailChannel);
        }
        self.app.send_signing_code(id).await
    }

    /// Signs `documents` with one confirmation: each gets its own signature, visible at
    /// `placement` when given. Nothing is signed when any document is refused.
    pub async fn sign_documents(
        &self,
        password: &str,
        code: &str,
        documents: Vec<Document>,
        placement: Option<Placement>,
        address: Option<IpAddr>,
    ) -> AppResult<Vec<SignedDocument>> {
        pades::check_batch(&documents)?;
        let holder = self.holder(password, address).await?;
        let chain = holder.chain().await?;
        let current = self.at_step(Some(Status::Issued)).await?;
        let options = pades::signature_options(
            &current.employee.full_name(),
            self.app.now(),
            placement.map(|p| p.page),
        );
        let prepared = pades::prepare(&documents, &chain.leaf, &options)?;
        let signed = holder
            .sign_unrecorded(code, prepared.digests(), SigningClient::Portal, address)
            .await?;
        let timestamps = self.app.signature_timestamps(signed.signatures()).await?;
        let signatures = signed.record().await?;
        let validation = crate::pki::validation_data(&self.app, &chain.leaf)
            .await
            .map_err(|e| AppError::Configuration(format!("the validation data: {e:?}")))?;
        let signed = prepared.finish(
            signatures.into_iter().zip(timestamps).collect(),
            chain,
            Some(&validation),
        )?;
        Ok(documents
            .iter()
            .zip(signed)
            .map(|(document, bytes)| SignedDocument {
                name: signed_name(&document.name),
                bytes,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_files_keep_their_name() {
        assert_eq!(signed_name("απόφαση.pdf"), "απόφαση-signed.pdf");
        assert_eq!(signed_name("C:\\docs\\Report.PDF"), "Report-signed.pdf");
        assert_eq!(signed_name(""), "document-signed.pdf");
        assert_eq!(signed_name("notes"), "notes-signed.pdf");
    }
}
