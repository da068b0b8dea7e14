//! How to reach a person: a work email and a mobile phone.

use serde::Serialize;

use super::{Field, Problem, ValidationError};

/// An email address: one '@', a local part without spaces, a domain of dot-separated labels of
/// [a-z0-9-] (stored lower case); at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);
string_newtype!(Email);
from_str_via_parse!(Email);

impl Email {
    pub const FIELD: Field = Field::Email;
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(Self::FIELD, problem);
        let s = input.trim();
        if s.is_empty() {
            return Err(err(Problem::Missing));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(err(Problem::TooLong { max: Self::MAX_LEN }));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(err(Problem::Format));
        };
        let domain = domain.to_ascii_lowercase();
        let local_ok = !local.is_empty()
            && !local.contains('@')
            && !local.chars().any(|c| c.is_whitespace() || c.is_control());
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !local_ok || !domain_ok {
            return Err(err(Problem::Format));
        }
        Ok(Email(format!("{local}@{domain}")))
    }
}

// ---------------------------------------------------------------------------------------------
// Mobile

/// A mobile phone number in E.164 form ("+" and 8 to 15 digits); Greek numbers must be mobiles,
/// "+3069" and eight more digits. "69…" (ten digits) and "00…" are accepted and normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Mobile(String);
string_newtype!(Mobile);
from_str_via_parse!(Mobile);

impl Mobile {
    pub const FIELD: Field = Field::Mobile;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(Self::FIELD, problem);
        let compact: String = input
            .chars()
            .filter(|c| !(c.is_whitespace() || *c == '-' || *c == '.'))
            .collect();
        if compact.is_empty() {
            return Err(err(Problem::Missing));
        }
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let e164 = if compact.len() == 10 && compact.starts_with("69") && all_digits(&compact) {
            format!("+30{compact}")
        } else if let Some(rest) = compact.strip_prefix("00") {
            format!("+{rest}")
        } else {
            compact
        };
        let Some(digits) = e164.strip_prefix('+') else {
            return Err(err(Problem::Format));
        };
        let valid = (8..=15).contains(&digits.len())
            && all_digits(digits)
            && !digits.starts_with('0')
            && (!digits.starts_with("30") || (digits.starts_with("3069") && digits.len() == 12));
        if !valid {
            return Err(err(Problem::Format));
        }
        Ok(Mobile(e164))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use proptest::prelude::*;

    fn problem<T: std::fmt::Debug>(r: Result<T, ValidationError>) -> Problem {
        r.expect_err("should be refused").problem
    }

    #[test]
    fn email_examples() {
        assert_eq!(
            Email::parse(" Maria.P@Minedu.GOV.gr ").unwrap().as_str(),
            "Maria.P@minedu.gov.gr"
        );
        assert!(Email::parse("a@b-c.example.gr").is_ok());
        for bad in [
            "maria",
            "@minedu.gov.gr",
            "maria@",
            "maria@minedu",
            "maria@@minedu.gov.gr",
            "ma@ria@minedu.gov.gr",
            "ma ria@minedu.gov.gr",
            "maria@-minedu.gov.gr",
            "maria@minedu-.gov.gr",
            "maria@minedu..gr",
            "maria@minedu.gov.gr.",
            "maria@υπουργείο.gr",
            "maria@min_edu.gr",
        ] {
            assert_eq!(problem(Email::parse(bad)), Problem::Format, "{bad}");
        }
        assert_eq!(problem(Email::parse(" ")), Problem::Missing);
        let long = format!("{}@example.gr", "a".repeat(243));
        assert_eq!(long.len(), 254);
        assert!(Email::parse(&long).is_ok());
        let too_long = format!("{}@example.gr", "a".repeat(244));
        assert_eq!(
            problem(Email::parse(&too_long)),
            Problem::TooLong { max: 254 }
        );
    }

    proptest! {
        /// An accepted email has one '@', a local part without whitespace or control
        /// characters, a lower-case domain of valid labels, at most 254 characters; it parses
        /// to itself, and to itself again with its domain in upper case.
        #[test]
        fn emails_reparse_to_themselves(
            s in prop_oneof![
                " ?[A-Za-z0-9.+_ -]{1,12}@[A-Za-z0-9-]{0,10}(\\.[A-Za-z0-9-]{0,6}){0,3}\\.? ?",
                any::<String>(),
            ],
        ) {
            match Email::parse(&s) {
                Ok(email) => {
                    let e = email.as_str();
                    prop_assert!(e.chars().count() <= Email::MAX_LEN);
                    prop_assert_eq!(e.matches('@').count(), 1, "{:?}", e);
                    let (local, domain) = e.split_once('@').unwrap();
                    prop_assert!(!local.is_empty());
                    prop_assert!(!local.chars().any(|c| c.is_whitespace() || c.is_control()));
                    prop_assert!(domain.contains('.'));
                    for label in domain.split('.') {
                        prop_assert!(!label.is_empty() && label.len() <= 63, "{:?}", e);
                        prop_assert!(label.bytes().all(|b| b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || b == b'-'));
                        prop_assert!(!label.starts_with('-') && !label.ends_with('-'));
                    }
                    prop_assert_eq!(Email::parse(e), Ok(email.clone()));
                    let upper = format!("{local}@{}", domain.to_ascii_uppercase());
                    prop_assert_eq!(Email::parse(&upper), Ok(email.clone()));
                }
                Err(e) => {
                    prop_assert_eq!(e.field, Field::Email);
                    prop_assert_eq!(e.problem == Problem::Missing, s.trim().is_empty());
                }
            }
        }

        /// An accepted mobile is E.164 (a Greek one "+3069" and eight digits) and parses to
        /// itself.
        #[test]
        fn mobiles_reparse_to_themselves(
            s in prop_oneof!["(\\+|00)?[0-9 .-]{6,17}", "69[0-9]{8}", any::<String>()],
        ) {
            if let Ok(mobile) = Mobile::parse(&s) {
                let digits = mobile.as_str().strip_prefix('+').unwrap();
                prop_assert!((8..=15).contains(&digits.len()), "{:?}", mobile);
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(!digits.starts_with('0'));
                prop_assert!(!digits.starts_with("30") || (digits.starts_with("3069") && digits.len() == 12));
                prop_assert_eq!(Mobile::parse(mobile.as_str()), Ok(mobile.clone()));
            }
        }
    }

    #[test]
    fn mobile_examples() {
        for ok in [
            "6912345678",
            "69 1234 5678",
            "691-234-5678",
            "+306912345678",
            "00306912345678",
            "+30 691 234 5678",
            "0030.691.234.5678",
        ] {
            assert_eq!(Mobile::parse(ok).unwrap().as_str(), "+306912345678", "{ok}");
        }
        assert_eq!(
            Mobile::parse("+44 7911 123456").unwrap().as_str(),
            "+447911123456"
        );
        assert_eq!(
            Mobile::parse("0044 7911 123456").unwrap().as_str(),
            "+447911123456"
        );
        for bad in [
            "2101234567",        // Greek landline
            "+302101234567",     // Greek landline
            "+30691234567",      // too short for a Greek mobile
            "+3069123456789",    // too long for a Greek mobile
            "691234567",         // nine digits
            "+0123456789",       // starts with 0
            "+1234567",          // seven digits
            "+1234567890123456", // sixteen digits
            "+30 69x2345678",
            "(69)12345678",
        ] {
            assert_eq!(problem(Mobile::parse(bad)), Problem::Format, "{bad}");
        }
        assert_eq!(problem(Mobile::parse(" - ")), Problem::Missing);
        let e = Mobile::parse("123").unwrap_err();
        assert!(
            e.message(Lang::El)
                .contains("σε μορφή E.164, π.χ. +306912345678")
        );
        assert!(e.message(Lang::El).starts_with("Κινητό τηλέφωνο: "));
    }
}
