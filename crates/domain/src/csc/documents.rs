//! What v2's `signatures/signDoc` may ask of each document: a PAdES signature (`signature_format`
//! `P`) of baseline B-B or B-LT (`conformance_level` `Ades-B-B` or `Ades-B-LT`, in any letter
//! case; B-T is the portal's, with a TSA), of the key's algorithm (`signAlgo`, optional: ecdsa-with-SHA256), as an
//! approval signature (`signed_envelope_property`, optional: `Approval`; certdesk does not
//! certify documents). Which PDF signs, and how many at once, is `remote_signing`'s
//! ([`crate::remote_signing::DocumentProblem`]); how many a SAD signs is [`super::Sad`]'s.

use super::check_sign_algorithm;
use crate::validation::{Field, Problem, ValidationError};

/// PAdES, the only signature format made.
pub const PADES: &str = "P";

/// PAdES baseline B-B, as CSC v2 spells the conformance level.
pub const BASELINE_B: &str = "Ades-B-B";

/// PAdES baseline B-LT: B-B with the data that validates it embedded (a DSS).
pub const BASELINE_LT: &str = "Ades-B-LT";

/// The PAdES baseline level a document's signature is made at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conformance {
    /// B-B, the default.
    BaselineB,
    /// B-LT: the chain, the OCSP answer and the root's CRL embedded.
    BaselineLt,
}

/// An approval signature: the only envelope property of PAdES made.
pub const APPROVAL: &str = "Approval";

/// What one document of a `signDoc` asks, as sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentRequest<'a> {
    pub signature_format: Option<&'a str>,
    pub conformance_level: Option<&'a str>,
    pub sign_algo: Option<&'a str>,
    pub signed_envelope_property: Option<&'a str>,
}

impl DocumentRequest<'_> {
    /// Whether certdesk makes the signature asked, and at which level: the format is required,
    /// the rest optional.
    pub fn check(&self) -> Result<Conformance, ValidationError> {
        match self.signature_format.map(str::trim) {
            None | Some("") => {
                return Err(ValidationError::new(
                    Field::SignatureFormat,
                    Problem::Missing,
                ));
            }
            Some(PADES) => {}
            Some(_) => {
                return Err(ValidationError::new(
                    Field::SignatureFormat,
                    Problem::Format,
                ));
            }
        }
        let conformance = match self.conformance_level.map(str::trim) {
            None => Conformance::BaselineB,
            Some(level) if level.eq_ignore_ascii_case(BASELINE_B) => Conformance::BaselineB,
            Some(level) if level.eq_ignore_ascii_case(BASELINE_LT) => Conformance::BaselineLt,
            Some(_) => {
                return Err(ValidationError::new(
                    Field::ConformanceLevel,
                    Problem::Format,
                ));
            }
        };
        if self.sign_algo.is_some() {
            check_sign_algorithm(self.sign_algo, None)?;
        }
        match self.signed_envelope_property.map(str::trim) {
            None => Ok(conformance),
            Some(property) if property.eq_ignore_ascii_case(APPROVAL) => Ok(conformance),
            Some(_) => Err(ValidationError::new(
                Field::SignedEnvelopeProperty,
                Problem::Format,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pades() -> DocumentRequest<'static> {
        DocumentRequest {
            signature_format: Some("P"),
            ..Default::default()
        }
    }

    fn refused(request: DocumentRequest<'_>) -> (Field, Problem) {
        let error = request.check().unwrap_err();
        (error.field, error.problem)
    }

    #[test]
    fn pades_baseline_b_and_lt_are_made_in_any_spelling_of_the_level() {
        assert_eq!(pades().check(), Ok(Conformance::BaselineB));
        for level in ["Ades-B-B", "AdES-B-B", "ADES-B-B", "ades-b-b", " AdES-B-B "] {
            let request = DocumentRequest {
                conformance_level: Some(level),
                sign_algo: Some("1.2.840.10045.4.3.2"),
                signed_envelope_property: Some("Approval"),
                ..pades()
            };
            assert_eq!(request.check(), Ok(Conformance::BaselineB), "{level}");
        }
        for level in ["Ades-B-LT", "AdES-B-LT", "ades-b-lt"] {
            let request = DocumentRequest {
                conformance_level: Some(level),
                ..pades()
            };
            assert_eq!(request.check(), Ok(Conformance::BaselineLt), "{level}");
        }
        let key_algorithm = DocumentRequest {
            sign_algo: Some("1.2.840.10045.2.1"),
            ..pades()
        };
        assert_eq!(key_algorithm.check(), Ok(Conformance::BaselineB));
    }

    #[test]
    fn other_formats_levels_algorithms_and_certification_are_refused() {
        assert_eq!(
            refused(DocumentRequest::default()),
            (Field::SignatureFormat, Problem::Missing)
        );
        for format in ["C", "X", "J", "p"] {
            let request = DocumentRequest {
                signature_format: Some(format),
                ..Default::default()
            };
            assert_eq!(
                refused(request),
                (Field::SignatureFormat, Problem::Format),
                "{format}"
            );
        }
        for level in ["AdES-B-T", "AdES-B-LTA", "AdES-B", ""] {
            let request = DocumentRequest {
                conformance_level: Some(level),
                ..pades()
            };
            assert_eq!(
                refused(request),
                (Field::ConformanceLevel, Problem::Format),
                "{level}"
            );
        }
        let rsa = DocumentRequest {
            sign_algo: Some("1.2.840.113549.1.1.11"),
            ..pades()
        };
        assert_eq!(refused(rsa).0, Field::SignAlgorithm);
        let certification = DocumentRequest {
            signed_envelope_property: Some("Certification"),
            ..pades()
        };
        assert_eq!(
            refused(certification),
            (Field::SignedEnvelopeProperty, Problem::Format)
        );
    }
}
