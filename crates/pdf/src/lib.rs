//! PAdES signatures of PDF documents (issue 11): [`start`] adds the signature's place to a PDF
//! as an incremental update and gives the digest the holder's key must sign; [`Pending::finish`]
//! puts the CMS signature made with it in that place (B-B), and
//! [`Pending::finish_timestamped`] with a signature timestamp too (B-T: [`TimestampRequest`]
//! is the request to a time-stamping authority and the check of its reply). The key never
//! comes here, and nothing here does IO: the app signs and asks the TSA, the web layer uploads
//! and downloads.

mod cms;
mod dss;
mod timestamp;
mod update;

pub use dss::{ValidationData, add_validation_data};
pub use timestamp::{TimestampError, TimestampRequest};
pub use update::CONTENTS_CAPACITY;

/// Why a PDF cannot be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error("not a PDF document")]
    NotPdf,
    #[error("the PDF is older than version 1.4")]
    TooOld,
    #[error("the PDF cannot be read")]
    Unreadable,
    #[error("the PDF is encrypted")]
    Encrypted,
    #[error("the PDF has {pages} pages; there is no page {page}")]
    NoSuchPage { page: u32, pages: usize },
    #[error("the signature does not fit in the room kept for it")]
    SignatureTooLarge,
    #[error("the signature could not be encoded: {0}")]
    Encoding(String),
    #[error("{0}")]
    Internal(&'static str),
}

impl From<der::Error> for PdfError {
    fn from(error: der::Error) -> Self {
        PdfError::Encoding(error.to_string())
    }
}

impl From<lopdf::Error> for PdfError {
    fn from(error: lopdf::Error) -> Self {
        match error {
            lopdf::Error::IO(_) => PdfError::Internal("writing the PDF failed"),
            _ => PdfError::Unreadable,
        }
    }
}

impl From<std::io::Error> for PdfError {
    fn from(_: std::io::Error) -> Self {
        PdfError::Internal("writing the PDF failed")
    }
}

/// A visible signature: a box on a page (1-based), in PDF units from the page's lower left
/// corner (`[x, y, width, height]`), with lines of text (ASCII; transliterate others first).
#[derive(Debug, Clone, PartialEq)]
pub struct Visible {
    pub page: u32,
    pub rect: [f32; 4],
    pub lines: Vec<String>,
}

/// What the signature dictionary says besides the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureOptions {
    /// The signer, as `/Name` (any script).
    pub signer_name: String,
    pub reason: Option<String>,
    /// A PDF date (`D:20261201153000Z`), as `/M`: PAdES keeps the time here, not in the CMS.
    pub signing_time: String,
    /// `None`: an invisible signature on the first page.
    pub visible: Option<Visible>,
}

/// A PDF waiting for its signature.
pub struct Pending {
    prepared: update::Prepared,
    attributes: cms::SignedAttributes,
}

/// Prepares `pdf` for a signature by the holder of `signer_der` (their certificate, DER).
pub fn start(
    pdf: &[u8],
    signer_der: &[u8],
    options: &SignatureOptions,
) -> Result<Pending, PdfError> {
    let prepared = update::prepare(pdf, options)?;
    let attributes = cms::SignedAttributes::new(prepared.content_digest(), signer_der)?;
    Ok(Pending {
        prepared,
        attributes,
    })
}

impl Pending {
    /// The SHA-256 digest the holder's key signs (of the CMS signed attributes).
    pub fn to_sign(&self) -> Result<[u8; 32], PdfError> {
        self.attributes.to_sign()
    }

    /// The signed PDF, with `signature` (DER ECDSA-with-SHA256 over [`Self::to_sign`]) and the
    /// certificate chain (signer first, DER) in its CMS signature.
    pub fn finish(self, signature: &[u8], chain: &[Vec<u8>]) -> Result<Vec<u8>, PdfError> {
        self.finish_timestamped(signature, chain, None)
    }

    /// As [`Self::finish`], and with `timestamp` (the DER time-stamp token over `signature`
    /// that [`TimestampRequest::token`] accepted) as the signature timestamp: PAdES B-T.
    /// `None`: B-B, as [`Self::finish`].
    pub fn finish_timestamped(
        self,
        signature: &[u8],
        chain: &[Vec<u8>],
        timestamp: Option<&[u8]>,
    ) -> Result<Vec<u8>, PdfError> {
        let cms = self.attributes.signed_data(signature, chain, timestamp)?;
        self.prepared.embed(&cms)
    }
}
