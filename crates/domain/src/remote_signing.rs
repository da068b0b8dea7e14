//! Signing with an issued certificate (issue 11). The key never leaves certdesk: a holder asks
//! it to sign SHA-256 digests, with the signing password and a one-time code of their channel
//! (the same proof as the application's signing, [`crate::signing`]). The rules here: which
//! certificate may sign ([`may_sign`]), what a digest to sign is ([`Digest`]), how many at once,
//! and through which client the signature was asked, as the signing log records it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

use crate::Status;
use crate::validation::{Field, Problem, ValidationError};

/// SHA-256.
pub const DIGEST_LEN: usize = 32;

/// The most digests one confirmation signs (a batch of documents).
pub const MAX_DIGESTS: usize = 100;

/// A SHA-256 digest to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest([u8; DIGEST_LEN]);

impl Digest {
    pub fn from_bytes(bytes: [u8; DIGEST_LEN]) -> Digest {
        Digest(bytes)
    }

    /// A digest as the signing APIs send it: base64 (standard alphabet, padding optional,
    /// surrounding blanks ignored) of exactly 32 bytes.
    pub fn from_base64(field: Field, text: &str) -> Result<Digest, ValidationError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ValidationError::new(field, Problem::Missing));
        }
        let padded = match text.len() % 4 {
            2 => format!("{text}=="),
            3 => format!("{text}="),
            _ => text.to_owned(),
        };
        let bytes = STANDARD
            .decode(padded)
            .map_err(|_| ValidationError::new(field, Problem::Format))?;
        let bytes: [u8; DIGEST_LEN] = bytes
            .try_into()
            .map_err(|_| ValidationError::new(field, Problem::Format))?;
        Ok(Digest(bytes))
    }

    /// A list of digests: at least one, at most [`MAX_DIGESTS`].
    pub fn list_from_base64<'a>(
        field: Field,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Digest>, ValidationError> {
        let digests = texts
            .into_iter()
            .map(|t| Digest::from_base64(field, t))
            .collect::<Result<Vec<_>, _>>()?;
        if digests.is_empty() {
            return Err(ValidationError::new(field, Problem::Missing));
        }
        if digests.len() > MAX_DIGESTS {
            return Err(ValidationError::new(
                field,
                Problem::TooLong { max: MAX_DIGESTS },
            ));
        }
        Ok(digests)
    }

    pub fn as_bytes(&self) -> &[u8; DIGEST_LEN] {
        &self.0
    }

    /// Lower-case hex, as the signing log keeps it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The digest of [`Digest::to_hex`]'s text.
    pub fn from_hex(text: &str) -> Option<Digest> {
        let bytes: [u8; DIGEST_LEN] = hex::decode(text).ok()?.try_into().ok()?;
        Some(Digest(bytes))
    }
}

/// The most PDF documents one confirmation signs in the portal.
pub const MAX_DOCUMENTS: usize = 10;

/// The largest PDF the portal signs, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The largest upload of documents to sign at once, in bytes.
pub const MAX_BATCH_BYTES: usize = 25 * 1024 * 1024;

/// Why a document cannot be signed, as its holder is told (naming the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentProblem {
    /// No file was chosen.
    Missing,
    TooMany {
        max: usize,
    },
    TooLarge {
        max_bytes: usize,
    },
    /// The upload of a batch is larger than [`MAX_BATCH_BYTES`].
    BatchTooLarge {
        max_bytes: usize,
    },
    /// The page of a visible signature is not a page number.
    PageNotANumber,
    NotPdf,
    /// Older than PDF 1.4.
    TooOld,
    Unreadable,
    Encrypted,
    NoSuchPage {
        page: u32,
        pages: usize,
    },
}

impl DocumentProblem {
    /// The sentence for the document called `name`.
    pub fn message(&self, name: &str, lang: crate::Lang) -> String {
        let name = if name.trim().is_empty() { "—" } else { name };
        match self {
            DocumentProblem::Missing => lang
                .pick(
                    "Έγγραφο: επιλέξτε ένα ή περισσότερα αρχεία PDF.",
                    "Document: choose one or more PDF files.",
                )
                .to_owned(),
            DocumentProblem::TooMany { max } => match lang {
                crate::Lang::El => {
                    format!("Έγγραφο: υπογράφονται έως {max} έγγραφα με μία επιβεβαίωση.")
                }
                crate::Lang::En => {
                    format!("Document: at most {max} documents are signed with one confirmation.")
                }
            },
            DocumentProblem::TooLarge { max_bytes } => {
                let mb = max_bytes / (1024 * 1024);
                match lang {
                    crate::Lang::El => format!("«{name}»: το αρχείο ξεπερνά τα {mb} MB."),
                    crate::Lang::En => format!("«{name}»: the file is larger than {mb} MB."),
                }
            }
            DocumentProblem::BatchTooLarge { max_bytes } => {
                let mb = max_bytes / (1024 * 1024);
                match lang {
                    crate::Lang::El => {
                        format!("Έγγραφα PDF: τα αρχεία ξεπερνούν συνολικά τα {mb} MB.")
                    }
                    crate::Lang::En => {
                        format!("PDF documents: the files are larger than {mb} MB in all.")
                    }
                }
            }
            DocumentProblem::PageNotANumber => lang
                .pick(
                    "Σελίδα της ορατής υπογραφής: πρέπει να είναι αριθμός σελίδας (1, 2, …).",
                    "Page of the visible signature: must be a page number (1, 2, …).",
                )
                .to_owned(),
            DocumentProblem::NotPdf => match lang {
                crate::Lang::El => {
                    format!("«{name}»: δεν είναι αρχείο PDF· υπογράφονται μόνο έγγραφα PDF.")
                }
                crate::Lang::En => {
                    format!("«{name}»: not a PDF file; only PDF documents are signed.")
                }
            },
            DocumentProblem::TooOld => match lang {
                crate::Lang::El => {
                    format!("«{name}»: υπογράφονται έγγραφα PDF έκδοσης 1.4 ή νεότερης.")
                }
                crate::Lang::En => {
                    format!("«{name}»: only PDF documents of version 1.4 or later are signed.")
                }
            },
            DocumentProblem::Unreadable => match lang {
                crate::Lang::El => {
                    format!("«{name}»: το αρχείο PDF είναι κατεστραμμένο ή δεν διαβάζεται.")
                }
                crate::Lang::En => format!("«{name}»: the PDF file is damaged or cannot be read."),
            },
            DocumentProblem::Encrypted => match lang {
                crate::Lang::El => format!(
                    "«{name}»: το αρχείο PDF είναι κρυπτογραφημένο· αφαιρέστε τον κωδικό του και δοκιμάστε ξανά."
                ),
                crate::Lang::En => format!(
                    "«{name}»: the PDF file is encrypted; remove its password and try again."
                ),
            },
            DocumentProblem::NoSuchPage { page, pages } => match lang {
                crate::Lang::El => {
                    format!("«{name}»: το έγγραφο έχει {pages} σελίδες· δεν υπάρχει σελίδα {page}.")
                }
                crate::Lang::En => {
                    format!("«{name}»: the document has {pages} pages; there is no page {page}.")
                }
            },
        }
    }
}

/// The page of a visible signature, as typed: a page number from 1.
pub fn visible_page(typed: &str) -> Result<u32, DocumentProblem> {
    match typed.trim().parse::<u32>() {
        Ok(page) if page >= 1 => Ok(page),
        _ => Err(DocumentProblem::PageNotANumber),
    }
}

/// Who asked for a signature, as the signing log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningClient {
    /// «Υπογραφή εγγράφου» in the portal.
    Portal,
    /// The Cloud Signature Consortium's API (`/csc/v1`, `/csc/v2`).
    Csc,
    /// The public sector's signing API (`/Sign/Api/SignBuffer`).
    SignBuffer,
}

impl SigningClient {
    pub const ALL: [SigningClient; 3] = [
        SigningClient::Portal,
        SigningClient::Csc,
        SigningClient::SignBuffer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SigningClient::Portal => "portal",
            SigningClient::Csc => "csc",
            SigningClient::SignBuffer => "sign_buffer",
        }
    }

    pub fn parse(code: &str) -> Option<SigningClient> {
        SigningClient::ALL.into_iter().find(|c| c.code() == code)
    }

    /// How the holder's signing log («Ιστορικό υπογραφών») names the client.
    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            SigningClient::Portal => lang.pick(
                "Υπογραφή εγγράφου στην πύλη",
                "Document signing in the portal",
            ),
            SigningClient::Csc => lang.pick("Διεπαφή CSC", "CSC API"),
            SigningClient::SignBuffer => {
                lang.pick("Διεπαφή υπογραφής (SignBuffer)", "Signing API (SignBuffer)")
            }
        }
    }
}

/// What is known of a certificate when it is asked to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateState {
    pub status: Status,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a certificate does not sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningRefusal {
    /// The application never reached issuance, or was cancelled or rejected («Απορρίφθηκε»).
    NotIssued,
    Revoked,
    Expired,
    NotYetValid,
}

impl SigningRefusal {
    pub fn code(self) -> &'static str {
        match self {
            SigningRefusal::NotIssued => "certificate_not_issued",
            SigningRefusal::Revoked => "certificate_revoked",
            SigningRefusal::Expired => "certificate_expired",
            SigningRefusal::NotYetValid => "certificate_not_yet_valid",
        }
    }

    pub fn message(self, lang: crate::Lang) -> &'static str {
        match self {
            SigningRefusal::NotIssued => lang.pick(
                "Δεν υπάρχει εκδομένο πιστοποιητικό για υπογραφή.",
                "There is no issued certificate to sign with.",
            ),
            SigningRefusal::Revoked => lang.pick(
                "Το πιστοποιητικό έχει ανακληθεί και δεν υπογράφει.",
                "The certificate has been revoked and does not sign.",
            ),
            SigningRefusal::Expired => lang.pick(
                "Το πιστοποιητικό έχει λήξει και δεν υπογράφει.",
                "The certificate has expired and does not sign.",
            ),
            SigningRefusal::NotYetValid => lang.pick(
                "Το πιστοποιητικό δεν ισχύει ακόμη.",
                "The certificate is not valid yet.",
            ),
        }
    }
}

/// Whether a certificate signs at `now`: only an `issued` one, within its validity and not
/// revoked. Revocation is read from both the application and the certificate, so a revocation
/// stops signatures whichever is written first.
pub fn may_sign(certificate: &CertificateState, now: DateTime<Utc>) -> Result<(), SigningRefusal> {
    if certificate.revoked_at.is_some() || certificate.status == Status::Revoked {
        return Err(SigningRefusal::Revoked);
    }
    if certificate.status == Status::Expired || now >= certificate.not_after {
        return Err(SigningRefusal::Expired);
    }
    if certificate.status != Status::Issued {
        return Err(SigningRefusal::NotIssued);
    }
    if now < certificate.not_before {
        return Err(SigningRefusal::NotYetValid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn issued(now: DateTime<Utc>) -> CertificateState {
        CertificateState {
            status: Status::Issued,
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(365),
            revoked_at: None,
        }
    }

    #[test]
    fn only_an_issued_certificate_in_its_validity_signs() {
        let now = Utc::now();
        assert_eq!(may_sign(&issued(now), now), Ok(()));
        let revoked = CertificateState {
            revoked_at: Some(now),
            ..issued(now)
        };
        assert_eq!(may_sign(&revoked, now), Err(SigningRefusal::Revoked));
        let revoked_application = CertificateState {
            status: Status::Revoked,
            ..issued(now)
        };
        assert_eq!(
            may_sign(&revoked_application, now),
            Err(SigningRefusal::Revoked)
        );
        assert_eq!(
            may_sign(&issued(now), now + Duration::days(365)),
            Err(SigningRefusal::Expired)
        );
        assert_eq!(
            may_sign(&issued(now), now - Duration::days(2)),
            Err(SigningRefusal::NotYetValid)
        );
        for status in [Status::AwaitingIssuance, Status::Rejected] {
            let state = CertificateState {
                status,
                ..issued(now)
            };
            assert_eq!(may_sign(&state, now), Err(SigningRefusal::NotIssued));
        }
    }

    #[test]
    fn a_digest_is_32_bytes_of_base64() {
        let digest = Digest::from_base64(Field::Hash, &STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(digest.as_bytes(), &[7u8; 32]);
        assert_eq!(digest.to_hex(), "07".repeat(32));
        assert_eq!(Digest::from_hex(&digest.to_hex()), Some(digest));
        assert_eq!(Digest::from_hex("07"), None);
        let unpadded = STANDARD.encode([7u8; 32]).trim_end_matches('=').to_owned();
        assert_eq!(Digest::from_base64(Field::Hash, &unpadded), Ok(digest));
        for bad in ["", "not base64!", &STANDARD.encode([1u8; 20])] {
            assert_eq!(
                Digest::from_base64(Field::Hash, bad).unwrap_err().field,
                Field::Hash
            );
        }
        let too_many: Vec<String> = (0..=MAX_DIGESTS)
            .map(|_| STANDARD.encode([1u8; 32]))
            .collect();
        assert!(
            Digest::list_from_base64(Field::Hash, too_many.iter().map(String::as_str)).is_err()
        );
        assert!(Digest::list_from_base64(Field::Hash, []).is_err());
    }

    #[test]
    fn a_visible_signature_goes_on_a_page_from_1() {
        assert_eq!(visible_page(" 3 "), Ok(3));
        for bad in ["0", "-1", "", "τρία", "1.5"] {
            assert_eq!(
                visible_page(bad),
                Err(DocumentProblem::PageNotANumber),
                "{bad}"
            );
        }
        assert!(
            DocumentProblem::BatchTooLarge {
                max_bytes: MAX_BATCH_BYTES
            }
            .message("", crate::Lang::El)
            .contains("25 MB")
        );
    }

    #[test]
    fn client_codes_parse_back() {
        for client in SigningClient::ALL {
            assert_eq!(SigningClient::parse(client.code()), Some(client));
            assert!(!client.label(crate::Lang::El).is_empty());
        }
    }
}
