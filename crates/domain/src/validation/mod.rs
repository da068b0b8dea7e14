//! Validation of what people type: parse, don't validate. Each value that has rules gets a type
//! that can only be made by parsing, so a value of that type is known to be valid and canonical.
//! A failure names the [`Field`] and the reason, and reads as a sentence in Greek or English.
//!
//! One file per kind of value: `field` (the fields themselves), `ids` (ΑΦΜ, ΑΔΤ), `contact`
//! (email, mobile), `account` (username, signing password, one-time codes), `text` (names,
//! reasons). Everything is re-exported here, so `validation::Afm` is the path to use.

use crate::Lang;

/// The newtypes are strings that can only be made by parsing: serialized as the bare string,
/// shown as it, and read back with `as_str`.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Implements `FromStr` through `parse` for the newtypes whose field is fixed.
macro_rules! from_str_via_parse {
    ($name:ident) => {
        impl std::str::FromStr for $name {
            type Err = $crate::validation::ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }
    };
}

mod account;
mod contact;
mod field;
mod ids;
mod text;

pub use account::{SigningPassword, Username, otp_code};
pub use contact::{Email, Mobile};
pub use field::Field;
pub use ids::{Afm, IdCard, afm_with_check_digit, is_valid_afm};
pub use text::{PersonName, Reason};

/// Why a value was refused, and which field it was for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem:?}")]
pub struct ValidationError {
    pub field: Field,
    pub problem: Problem,
}

/// The reason a value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Empty or absent.
    Missing,
    /// Longer than `max` characters.
    TooLong { max: usize },
    /// Shorter than `min` characters.
    TooShort { min: usize },
    /// Not of the expected form; the message says what is expected.
    Format,
    /// The check digit does not match (ΑΦΜ).
    CheckDigit,
    /// Already used by someone else (e.g. a username).
    Taken,
    /// Differs from the value it must repeat (a password's confirmation).
    DoesNotMatch,
    /// Well formed but wrong (a one-time password, a signing password).
    Incorrect,
    /// A password equal to the account's username (or its email's local part).
    SameAsUsername,
    /// A password among the most common ones, which guessers try first.
    TooCommon,
    /// A value of a list given twice where each counts once (a hash to sign).
    Repeated,
    /// A new password equal to the one it replaces.
    SameAsCurrent,
}

impl ValidationError {
    pub fn new(field: Field, problem: Problem) -> Self {
        ValidationError { field, problem }
    }

    /// A clear sentence naming the field (by its label in that language) and the reason, e.g.
    /// «ΑΦΜ: το ψηφίο ελέγχου δεν είναι σωστό» / "Tax number (AFM): the check digit is wrong".
    pub fn message(&self, lang: Lang) -> String {
        let label = self.field.label(lang);
        let reason = match &self.problem {
            Problem::Missing => lang
                .pick("είναι υποχρεωτικό πεδίο", "this field is required")
                .to_owned(),
            Problem::TooLong { max } => match lang {
                Lang::El => format!("επιτρέπονται έως {max} χαρακτήρες"),
                Lang::En => format!("at most {max} characters are allowed"),
            },
            Problem::TooShort { min } => match lang {
                Lang::El => format!("απαιτούνται τουλάχιστον {min} χαρακτήρες"),
                Lang::En => format!("at least {min} characters are required"),
            },
            Problem::Format => self.field.format_expectation(lang).to_owned(),
            Problem::CheckDigit => lang
                .pick(
                    "το ψηφίο ελέγχου δεν είναι σωστό",
                    "the check digit is wrong",
                )
                .to_owned(),
            Problem::Taken => lang
                .pick("χρησιμοποιείται ήδη", "is already in use")
                .to_owned(),
            Problem::DoesNotMatch => lang
                .pick(
                    "δεν είναι ίδιος με τον κωδικό που δώσατε",
                    "is not the same as the password you gave",
                )
                .to_owned(),
            Problem::Incorrect => lang.pick("δεν είναι σωστός", "is not correct").to_owned(),
            Problem::SameAsUsername => lang
                .pick(
                    "δεν επιτρέπεται να είναι ίδιος με το όνομα χρήστη",
                    "must not be the same as the username",
                )
                .to_owned(),
            Problem::TooCommon => lang
                .pick(
                    "είναι από τους πιο συνηθισμένους κωδικούς και μαντεύεται εύκολα· επιλέξτε άλλον",
                    "is one of the most common passwords and easily guessed; choose another",
                )
                .to_owned(),
            Problem::Repeated => lang
                .pick(
                    "η ίδια τιμή δίνεται δύο φορές",
                    "the same value is given twice",
                )
                .to_owned(),
            Problem::SameAsCurrent => lang
                .pick(
                    "πρέπει να διαφέρει από τον τρέχοντα κωδικό",
                    "must differ from the current password",
                )
                .to_owned(),
        };
        format!("{label}: {reason}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn messages_name_the_field_by_its_label() {
        let e = ValidationError::new(Field::Reason, Problem::TooLong { max: 500 });
        assert_eq!(
            e.message(Lang::El),
            "Αιτιολογία: επιτρέπονται έως 500 χαρακτήρες"
        );
        assert_eq!(
            e.message(Lang::En),
            "Reason: at most 500 characters are allowed"
        );
        let e = ValidationError::new(Field::Username, Problem::TooShort { min: 5 });
        assert_eq!(
            e.message(Lang::En),
            "Username: at least 5 characters are required"
        );
        let e = ValidationError::new(Field::Description, Problem::Format);
        assert_eq!(e.message(Lang::En), "Description: the format is not valid");
        let e = ValidationError::new(Field::Category, Problem::Missing);
        assert_eq!(
            e.message(Lang::El),
            "Κατηγορία ανάκλησης: είναι υποχρεωτικό πεδίο"
        );
    }

    #[test]
    fn display_names_the_field_by_its_wire_name() {
        let e = ValidationError::new(Field::OrganisationCode, Problem::Taken);
        assert_eq!(e.to_string(), "code: Taken");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in any::<String>()) {
            let _ = Afm::parse(&s);
            let _ = IdCard::parse(&s);
            let _ = Email::parse(&s);
            let _ = Mobile::parse(&s);
            let _ = Username::parse(&s);
            let _ = PersonName::parse(Field::Surname, &s);
            let _ = Reason::parse_optional(Some(&s));
        }
    }
}
