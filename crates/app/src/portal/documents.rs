//! «Υπογραφή εγγράφου»: the holder of an issued certificate signs PDF documents in the portal.
//! One confirmation (the signing password and a one-time code of their channel) signs a batch,
//! each document with its own PAdES signature (`certdesk_pdf`, baseline B-B), optionally visible
//! on a page. (B-LT, `certdesk_pdf::add_validation_data`, waits for revocation data about the
//! issuing CA itself: a validator that requires it finds none, as the root publishes no CRL.)
//! The signatures are made by `app::signer`, so the rules, the throttle and the signing log are
//! the signing APIs'.
//!
//! B-T: with a time-stamping authority configured (`crate::timestamp`), each signature gets a
//! signature timestamp before the signing log records it. A TSA that fails refuses the whole
//! batch, and then no signature is recorded or handed out (the one-time code is spent; another
//! code signs again).

use std::net::IpAddr;

use certdesk_domain::Status;
use certdesk_domain::remote_signing::{
    Digest, DocumentProblem, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, SigningClient,
};
use certdesk_pdf::{PdfError, SignatureOptions, Visible};

use super::Beneficiary;
use super::signing::CodeSent;
use crate::error::{AppError, AppResult};
use crate::signer::Holder;

/// A PDF to sign, as uploaded.
pub struct Document {
    pub name: String,
    pub bytes: Vec<u8>,
}

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

fn refused(name: &str, problem: DocumentProblem) -> AppError {
    AppError::DocumentRefused {
        name: name.to_owned(),
        problem,
    }
}

fn problem_of(error: PdfError) -> Result<DocumentProblem, AppError> {
    Ok(match error {
        PdfError::NotPdf => DocumentProblem::NotPdf,
        PdfError::TooOld => DocumentProblem::TooOld,
        PdfError::Unreadable => DocumentProblem::Unreadable,
        PdfError::Encrypted => DocumentProblem::Encrypted,
        PdfError::NoSuchPage { page, pages } => DocumentProblem::NoSuchPage { page, pages },
        other => return Err(AppError::Configuration(format!("signing a PDF: {other}"))),
    })
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

/// "eleni karagianni" → "Eleni Karagianni": the name as Helvetica can write it.
fn latin_name(name: &str) -> String {
    certdesk_domain::text::to_latin(name)
        .split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
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
        if documents.is_empty() {
            return Err(refused("", DocumentProblem::Missing));
        }
        if documents.len() > MAX_DOCUMENTS {
            return Err(refused("", DocumentProblem::TooMany { max: MAX_DOCUMENTS }));
        }
        if let Some(big) = documents
            .iter()
            .find(|d| d.bytes.len() > MAX_DOCUMENT_BYTES)
        {
            return Err(refused(
                &big.name,
                DocumentProblem::TooLarge {
                    max_bytes: MAX_DOCUMENT_BYTES,
                },
            ));
        }
        let holder = self.holder(password, address).await?;
        let chain = holder.chain().await?;
        let current = self.at_step(Some(Status::Issued)).await?;
        let signer_name = current.employee.full_name();
        let now = self.app.now();
        let options = SignatureOptions {
            signer_name: signer_name.clone(),
            reason: None,
            signing_time: now.format("D:%Y%m%d%H%M%SZ").to_string(),
            visible: placement.map(|p| Visible {
                page: p.page,
                rect: [36.0, 36.0, 240.0, 42.0],
                lines: vec![
                    format!("Digitally signed by {}", latin_name(&signer_name)),
                    now.format("%Y-%m-%d %H:%M UTC").to_string(),
                ],
            }),
        };
        let mut pending = Vec::with_capacity(documents.len());
        for document in &documents {
            let started = certdesk_pdf::start(&document.bytes, &chain.leaf, &options)
                .map_err(|e| problem_of(e).map_or_else(|e| e, |p| refused(&document.name, p)))?;
            pending.push(started);
        }
        let digests = pending
            .iter()
            .map(|p| p.to_sign().map(Digest::from_bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AppError::Configuration(format!("signing a PDF: {e}")))?;
        let signed = holder
            .sign_unrecorded(code, &digests, SigningClient::Portal, address)
            .await?;
        let timestamps = self.app.signature_timestamps(signed.signatures()).await?;
        let signatures = signed.record().await?;
        let certificates = vec![chain.leaf, chain.issuing, chain.root];
        documents
            .iter()
            .zip(pending)
            .zip(signatures.into_iter().zip(timestamps))
            .map(|((document, pending), (signature, timestamp))| {
                let bytes = pending
                    .finish_timestamped(&signature, &certificates, timestamp.as_deref())
                    .map_err(|e| AppError::Configuration(format!("signing a PDF: {e}")))?;
                Ok(SignedDocument {
                    name: signed_name(&document.name),
                    bytes,
                })
            })
            .collect()
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

    #[test]
    fn the_visible_name_is_latin() {
        assert_eq!(latin_name("Ελένη Καραγιάννη"), "Eleni Karagianni");
    }
}
