//! What a beneficiary chooses and types to sign: a username, a signing password, one-time codes.

use std::fmt;

use serde::Serialize;

use super::{Field, Problem, ValidationError};

/// A beneficiary's username: Latin letters, digits, '.' and '-'; starts with a letter, ends with
/// a letter or digit; 5 to 20 characters; stored lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);
string_newtype!(Username);
from_str_via_parse!(Username);

impl Username {
    pub const FIELD: Field = Field::Username;
    pub const MIN_LEN: usize = 5;
    pub const MAX_LEN: usize = 20;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(Self::FIELD, problem);
        let s = input.trim();
        if s.is_empty() {
            return Err(err(Problem::Missing));
        }
        let len = s.chars().count();
        if len < Self::MIN_LEN {
            return Err(err(Problem::TooShort { min: Self::MIN_LEN }));
        }
        if len > Self::MAX_LEN {
            return Err(err(Problem::TooLong { max: Self::MAX_LEN }));
        }
        let bytes = s.as_bytes();
        let valid = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && bytes[0].is_ascii_alphabetic()
            && bytes[bytes.len() - 1].is_ascii_alphanumeric();
        if !valid {
            return Err(err(Problem::Format));
        }
        Ok(Username(s.to_ascii_lowercase()))
    }
}

/// The password a beneficiary signs with: 10 to 128 characters, typed twice. Never shown in debug
/// output; stored only as an Argon2id hash.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningPassword(String);

impl fmt::Debug for SigningPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningPassword(..)")
    }
}

impl SigningPassword {
    pub const FIELD: Field = Field::SigningPassword;
    pub const CONFIRM_FIELD: Field = Field::PasswordConfirm;
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 128;

    /// The password and its confirmation, as typed (not trimmed: spaces are part of a password).
    pub fn parse(password: &str, confirmation: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(Self::FIELD, problem);
        if password.trim().is_empty() {
            return Err(err(Problem::Missing));
        }
        let len = password.chars().count();
        if len < Self::MIN_LEN {
            return Err(err(Problem::TooShort { min: Self::MIN_LEN }));
        }
        if len > Self::MAX_LEN {
            return Err(err(Problem::TooLong { max: Self::MAX_LEN }));
        }
        if password != confirmation {
            return Err(ValidationError::new(
                Self::CONFIRM_FIELD,
                Problem::DoesNotMatch,
            ));
        }
        Ok(SigningPassword(password.to_owned()))
    }

    /// A new signing password and its confirmation, as «Αλλαγή κωδικού ψηφιακής υπογραφής»
    /// names them: the same policy as [`SigningPassword::parse`], its errors at the new fields.
    pub fn parse_new(password: &str, confirmation: &str) -> Result<Self, ValidationError> {
        Self::parse(password, confirmation).map_err(|e| {
            let field = if e.field == Self::CONFIRM_FIELD {
                Field::NewSigningPasswordConfirm
            } else {
                Field::NewSigningPassword
            };
            ValidationError::new(field, e.problem)
        })
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A six-digit one-time password as typed into `field` (spaces ignored).
pub fn otp_code(field: Field, input: &str) -> Result<String, ValidationError> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if code.is_empty() {
        return Err(ValidationError::new(field, Problem::Missing));
    }
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(field, Problem::Format));
    }
    Ok(code)
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
    fn username_examples() {
        assert_eq!(Username::parse("Maria.P-1").unwrap().as_str(), "maria.p-1");
        assert_eq!(Username::parse(" gpapad ").unwrap().as_str(), "gpapad");
        assert!(Username::parse("abcde").is_ok());
        assert!(Username::parse(&"a".repeat(20)).is_ok());
        assert_eq!(
            problem(Username::parse("abcd")),
            Problem::TooShort { min: 5 }
        );
        assert_eq!(
            problem(Username::parse(&"a".repeat(21))),
            Problem::TooLong { max: 20 }
        );
        assert_eq!(problem(Username::parse("")), Problem::Missing);
        for bad in [
            "1maria",
            ".maria",
            "maria.",
            "maria-",
            "mar ia",
            "mar_ia",
            "μαρία",
            "maria@x",
        ] {
            assert_eq!(problem(Username::parse(bad)), Problem::Format, "{bad}");
        }
        let e = Username::parse("maria_p").unwrap_err();
        assert!(
            e.message(Lang::En)
                .starts_with("Username: only Latin letters")
        );
        let taken = ValidationError::new(Username::FIELD, Problem::Taken);
        assert_eq!(taken.message(Lang::El), "Όνομα χρήστη: χρησιμοποιείται ήδη");
    }

    proptest! {
        /// An accepted username is 5 to 20 of [a-z0-9.-], a letter first, a letter or digit
        /// last, the trimmed input in lower case, and parses to itself; the answer does not
        /// depend on the case of ASCII letters.
        #[test]
        fn usernames_reparse_to_themselves(
            s in prop_oneof![" ?[A-Za-z0-9.\\-_@ ]{3,22} ?", any::<String>()],
        ) {
            let parsed = Username::parse(&s);
            prop_assert_eq!(&Username::parse(&s.to_ascii_uppercase()), &parsed);
            match parsed {
                Ok(u) => {
                    let b = u.as_str().as_bytes();
                    prop_assert!((Username::MIN_LEN..=Username::MAX_LEN).contains(&b.len()));
                    prop_assert!(b.iter().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || *c == b'.'
                        || *c == b'-'));
                    prop_assert!(b[0].is_ascii_lowercase());
                    prop_assert!(b[b.len() - 1].is_ascii_alphanumeric());
                    prop_assert_eq!(u.as_str(), s.trim().to_ascii_lowercase());
                    prop_assert_eq!(Username::parse(u.as_str()), Ok(u.clone()));
                }
                Err(e) => {
                    prop_assert_eq!(e.field, Field::Username);
                    prop_assert_eq!(e.problem == Problem::Missing, s.trim().is_empty());
                }
            }
        }
    }

    #[test]
    fn a_signing_password_needs_ten_characters_typed_twice_the_same() {
        assert_eq!(
            SigningPassword::parse("κωδικός-υπογραφής", "κωδικός-υπογραφής")
                .unwrap()
                .expose(),
            "κωδικός-υπογραφής"
        );
        let short = SigningPassword::parse("short", "short").unwrap_err();
        assert_eq!(short.field, Field::SigningPassword);
        assert_eq!(
            short.message(Lang::El),
            "Κωδικός υπογραφής: απαιτούνται τουλάχιστον 10 χαρακτήρες"
        );
        let new = SigningPassword::parse_new("short", "short").unwrap_err();
        assert_eq!(
            new.message(Lang::El),
            "Νέος κωδικός υπογραφής: απαιτούνται τουλάχιστον 10 χαρακτήρες"
        );
        let new = SigningPassword::parse_new("0123456789", "0123456780").unwrap_err();
        assert_eq!(new.field, Field::NewSigningPasswordConfirm);
        assert_eq!(
            new.message(Lang::El),
            "Επανάληψη νέου κωδικού υπογραφής: δεν είναι ίδιος με τον κωδικό που δώσατε"
        );
        let differs = SigningPassword::parse("0123456789", "0123456780").unwrap_err();
        assert_eq!(differs.field, Field::PasswordConfirm);
        assert!(differs.message(Lang::El).contains("δεν είναι ίδιος"));
        assert_eq!(
            SigningPassword::parse("   ", "   ").unwrap_err().problem,
            Problem::Missing
        );
        assert_eq!(
            format!(
                "{:?}",
                SigningPassword::parse("0123456789", "0123456789").unwrap()
            ),
            "SigningPassword(..)"
        );
    }

    #[test]
    fn a_one_time_password_is_six_digits() {
        assert_eq!(otp_code(Field::Otp, " 123 456 ").unwrap(), "123456");
        assert_eq!(
            otp_code(Field::Otp, "").unwrap_err().problem,
            Problem::Missing
        );
        let bad = otp_code(Field::Otp, "12345a").unwrap_err();
        assert_eq!(
            bad.message(Lang::El),
            "Κωδικός μίας χρήσης: πρέπει να αποτελείται από 6 ψηφία"
        );
        assert_eq!(
            ValidationError::new(Field::Otp, Problem::Incorrect).message(Lang::En),
            "One-time password: is not correct"
        );
    }
}
