//! Free text people type: names and the reasons given for an action.

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use super::{Field, Problem, ValidationError};

/// A person's name (surname, given name, father's name) or a similar short text: trimmed,
/// non-empty, at most 100 characters, no control characters, stored in NFC. Anything else is
/// allowed, markup included: it is escaped on output, not rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);
string_newtype!(PersonName);

impl PersonName {
    pub const MAX_LEN: usize = 100;

    /// Parses the value of `field` (e.g. `Field::Surname`), which is what the error names.
    pub fn parse(field: Field, input: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(field, problem);
        let trimmed = input.trim();
        // Names read back from the store are NFC already: then the copy needs no normalising.
        let s: String = match unicode_normalization::is_nfc_quick(trimmed.chars()) {
            unicode_normalization::IsNormalized::Yes => trimmed.to_owned(),
            _ => trimmed.nfc().collect(),
        };
        if s.is_empty() {
            return Err(err(Problem::Missing));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(err(Problem::TooLong { max: Self::MAX_LEN }));
        }
        if s.chars().any(char::is_control) {
            return Err(err(Problem::Format));
        }
        Ok(PersonName(s))
    }
}

/// The reason given for an action (e.g. a rejection or a revocation): trimmed, at most 500
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Reason(String);
string_newtype!(Reason);

impl Reason {
    pub const FIELD: Field = Field::Reason;
    pub const MAX_LEN: usize = 500;

    /// An optional reason: absent or blank gives `None`.
    pub fn parse_optional(input: Option<&str>) -> Result<Option<Reason>, ValidationError> {
        let s = input.map(str::trim).unwrap_or("");
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(ValidationError::new(
                Self::FIELD,
                Problem::TooLong { max: Self::MAX_LEN },
            ));
        }
        Ok(Some(Reason(s.to_owned())))
    }

    /// A mandatory reason: absent or blank is `Missing`.
    pub fn parse_required(input: Option<&str>) -> Result<Reason, ValidationError> {
        Self::parse_optional(input)?
            .ok_or_else(|| ValidationError::new(Self::FIELD, Problem::Missing))
    }

    /// The optional «Περιγραφή» of a revocation: a reason by its rules, named as itself.
    pub fn parse_description(input: Option<&str>) -> Result<Option<Reason>, ValidationError> {
        Self::parse_optional(input).map_err(|e| ValidationError::new(Field::Description, e.problem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    #[test]
    fn a_too_long_description_is_named_as_itself() {
        assert_eq!(Reason::parse_description(Some("  ")), Ok(None));
        let error = Reason::parse_description(Some(&"α".repeat(501))).unwrap_err();
        assert_eq!(error.field, Field::Description);
        assert_eq!(error.problem, Problem::TooLong { max: 500 });
    }

    fn problem<T: std::fmt::Debug>(r: Result<T, ValidationError>) -> Problem {
        r.expect_err("should be refused").problem
    }

    #[test]
    fn person_name_examples() {
        let n = PersonName::parse(Field::Surname, "  Παπαδόπουλος ").unwrap();
        assert_eq!(n.as_str(), "Παπαδόπουλος");
        assert_eq!(
            PersonName::parse(Field::Surname, "<script>alert(1)</script>")
                .unwrap()
                .as_str(),
            "<script>alert(1)</script>"
        );
        // Decomposed input is stored composed.
        assert_eq!(
            PersonName::parse(
                Field::GivenName,
                "Γιάννης".nfd().collect::<String>().as_str()
            )
            .unwrap()
            .as_str(),
            "Γιάννης"
        );
        let e = PersonName::parse(Field::FatherName, " ").unwrap_err();
        assert_eq!(e, ValidationError::new(Field::FatherName, Problem::Missing));
        assert_eq!(e.message(Lang::El), "Όνομα Πατρός: είναι υποχρεωτικό πεδίο");
        assert_eq!(e.message(Lang::En), "Father's name: this field is required");
        assert!(PersonName::parse(Field::Surname, &"Ω".repeat(100)).is_ok());
        assert_eq!(
            problem(PersonName::parse(Field::Surname, &"Ω".repeat(101))),
            Problem::TooLong { max: 100 }
        );
        assert_eq!(
            problem(PersonName::parse(Field::Surname, "Παπα\u{0}δόπουλος")),
            Problem::Format
        );
        assert_eq!(
            problem(PersonName::parse(Field::Surname, "Παπα\nδόπουλος")),
            Problem::Format
        );
    }

    #[test]
    fn reason_examples() {
        assert_eq!(Reason::parse_optional(None).unwrap(), None);
        assert_eq!(Reason::parse_optional(Some("  ")).unwrap(), None);
        assert_eq!(
            Reason::parse_optional(Some(" Λάθος στοιχεία "))
                .unwrap()
                .unwrap()
                .as_str(),
            "Λάθος στοιχεία"
        );
        // 500 Greek characters are 1000 bytes but allowed.
        assert!(
            Reason::parse_optional(Some(&"λ".repeat(500)))
                .unwrap()
                .is_some()
        );
        assert_eq!(
            problem(Reason::parse_optional(Some(&"λ".repeat(501)))),
            Problem::TooLong { max: 500 }
        );
        assert_eq!(problem(Reason::parse_required(None)), Problem::Missing);
        assert_eq!(
            problem(Reason::parse_required(Some(" \t"))),
            Problem::Missing
        );
        assert_eq!(Reason::parse_required(Some("ok")).unwrap().as_str(), "ok");
        let e = ValidationError::new(Field::Reason, Problem::TooLong { max: 500 });
        assert_eq!(
            e.message(Lang::El),
            "Αιτιολογία: επιτρέπονται έως 500 χαρακτήρες"
        );
        assert_eq!(
            e.message(Lang::En),
            "Reason: at most 500 characters are allowed"
        );
    }
}
