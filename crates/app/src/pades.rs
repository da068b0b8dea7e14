//! PDFs signed with a holder's key (PAdES baseline B-B; B-T with a signature timestamp, B-LT
//! with validation data; `certdesk_pdf`), for «Υπογραφή εγγράφου»
//! in the portal (`portal::documents`) and the CSC API's `signatures/signDoc` (`csc`). What both
//! share: the limits of a batch ([`check_batch`]), the signature dictionary
//! ([`signature_options`]), each PDF's signature place and the digest its signature signs
//! ([`prepare`], refusing the batch when any PDF is not signable, so that nothing is signed), and
//! the signed PDFs once the key signed those digests ([`Prepared::finish`]). The signatures
//! themselves are `signer`'s, which checks the certificate and writes the signing log.

use certdesk_domain::remote_signing::{
    Digest, DocumentProblem, MAX_BATCH_BYTES, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS,
};
use certdesk_pdf::{PdfError, Pending, SignatureOptions, Visible};
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};
use crate::signer::{Chain, Holder};

/// A PDF to sign: what its holder calls it (the upload's file name, or the request's field)
/// and its bytes.
#[derive(Debug, Clone)]
pub struct Document {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub(crate) fn refused(name: &str, problem: DocumentProblem) -> AppError {
    AppError::DocumentRefused {
        name: name.to_owned(),
        problem,
    }
}

/// At least one PDF, at most [`MAX_DOCUMENTS`], each at most [`MAX_DOCUMENT_BYTES`] and all
/// together at most [`MAX_BATCH_BYTES`].
pub(crate) fn check_batch(documents: &[Document]) -> AppResult<()> {
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
    if documents.iter().map(|d| d.bytes.len()).sum::<usize>() > MAX_BATCH_BYTES {
        return Err(refused(
            "",
            DocumentProblem::BatchTooLarge {
                max_bytes: MAX_BATCH_BYTES,
            },
        ));
    }
    Ok(())
}

/// The signature dictionary of `signer_name`'s signatures at `now`: invisible, or a box at the
/// lower left of page `visible_page` saying who signed and when.
pub(crate) fn signature_options(
    signer_name: &str,
    now: DateTime<Utc>,
    visible_page: Option<u32>,
) -> SignatureOptions {
    SignatureOptions {
        signer_name: signer_name.to_owned(),
        reason: None,
        signing_time: now.format("D:%Y%m%d%H%M%SZ").to_string(),
        visible: visible_page.map(|page| Visible {
            page,
            rect: [36.0, 36.0, 240.0, 42.0],
            lines: vec![
                format!("Digitally signed by {}", latin_name(signer_name)),
                now.format("%Y-%m-%d %H:%M UTC").to_string(),
            ],
        }),
    }
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

fn problem_of(error: PdfError) -> Result<DocumentProblem, AppError> {
    Ok(match error {
        PdfError::NotPdf => DocumentProblem::NotPdf,
        PdfError::TooOld => DocumentProblem::TooOld,
        PdfError::Unreadable => DocumentProblem::Unreadable,
        PdfError::Encrypted => DocumentProblem::Encrypted,
        PdfError::NoSuchPage { page, pages } => DocumentProblem::NoSuchPage { page, pages },
        other => return Err(internal(other)),
    })
}

fn internal(error: PdfError) -> AppError {
    AppError::Configuration(format!("signing a PDF: {error}"))
}

/// PDFs with their signature's place, waiting for the key to sign their digests.
pub(crate) struct Prepared {
    pending: Vec<Pending>,
    digests: Vec<Digest>,
}

/// Each PDF with the place of a signature by the holder of `leaf`, in their order; the first
/// PDF that is not signable refuses the batch, named.
pub(crate) fn prepare(
    documents: &[Document],
    leaf: &[u8],
    options: &SignatureOptions,
) -> AppResult<Prepared> {
    let mut pending = Vec::with_capacity(documents.len());
    for document in documents {
        let started = certdesk_pdf::start(&document.bytes, leaf, options)
            .map_err(|e| problem_of(e).map_or_else(|e| e, |p| refused(&document.name, p)))?;
        pending.push(started);
    }
    let digests = pending
        .iter()
        .map(|p| p.to_sign().map(Digest::from_bytes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    Ok(Prepared { pending, digests })
}

impl Prepared {
    /// What the key signs: one digest a PDF, in their order.
    pub fn digests(&self) -> &[Digest] {
        &self.digests
    }

    /// The signed PDFs: each with its signature (one of `signatures`, in order, with its
    /// signature timestamp when there is one: B-T) and `chain`, and with `validation` in a
    /// Document Security Store when given (PAdES B-LT: see `crate::pki::validation_data`).
    pub fn finish(
        self,
        signatures: Vec<(Vec<u8>, Option<Vec<u8>>)>,
        chain: Chain,
        validation: Option<&certdesk_pdf::ValidationData>,
    ) -> AppResult<Vec<Vec<u8>>> {
        let certificates = vec![chain.leaf, chain.issuing, chain.root];
        self.pending
            .into_iter()
            .zip(signatures)
            .map(|(pending, (signature, timestamp))| {
                let signed =
                    pending.finish_timestamped(&signature, &certificates, timestamp.as_deref())?;
                match validation {
                    Some(data) => certdesk_pdf::add_validation_data(&signed, data),
                    None => Ok(signed),
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(internal)
    }
}

impl Holder {
    /// The certificate holder's name, as the signature dictionary says who signed.
    pub(crate) async fn signer_name(&self) -> AppResult<String> {
        Ok(self.app.employee_of(self.application_id).await?.full_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_visible_name_is_latin() {
        assert_eq!(latin_name("Ελένη Καραγιάννη"), "Eleni Karagianni");
    }

    #[test]
    fn a_batch_is_one_to_ten_pdfs_within_their_sizes() {
        let document = |name: &str, len: usize| Document {
            name: name.to_owned(),
            bytes: vec![0; len],
        };
        let pdf = document("a.pdf", 10);
        assert!(check_batch(std::slice::from_ref(&pdf)).is_ok());
        let problem = |documents: &[Document]| match check_batch(documents) {
            Err(AppError::DocumentRefused { name, problem }) => (name, problem),
            other => panic!("{:?}", other.err()),
        };
        assert_eq!(problem(&[]), (String::new(), DocumentProblem::Missing));
        assert_eq!(
            problem(&vec![pdf.clone(); MAX_DOCUMENTS + 1]),
            (
                String::new(),
                DocumentProblem::TooMany { max: MAX_DOCUMENTS }
            )
        );
        assert_eq!(
            problem(&[pdf, document("big.pdf", MAX_DOCUMENT_BYTES + 1)]),
            (
                "big.pdf".to_owned(),
                DocumentProblem::TooLarge {
                    max_bytes: MAX_DOCUMENT_BYTES
                }
            )
        );
        let full = document("full.pdf", MAX_DOCUMENT_BYTES);
        assert_eq!(
            problem(&vec![full; 3]).1,
            DocumentProblem::BatchTooLarge {
                max_bytes: MAX_BATCH_BYTES
            }
        );
    }
}
