//! Validation of what people type: parse, don't validate. Each value that has rules gets a type
//! that can only be made by parsing, so a value of that type is known to be valid and canonical.
//! A failure names the field and the reason, and reads as a sentence in Greek or English.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::Lang;

/// Why a value was refused, and which field it was for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem:?}")]
pub struct ValidationError {
    /// The field name as used in forms, the API and the CSV header, e.g. "afm".
    pub field: &'static str,
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
}

impl ValidationError {
    pub fn new(field: &'static str, problem: Problem) -> Self {
        ValidationError { field, problem }
    }

    /// A clear sentence naming the field (by its label in that language) and the reason, e.g.
    /// «ΑΦΜ: το ψηφίο ελέγχου δεν είναι σωστό» / "Tax number (AFM): the check digit is wrong".
    pub fn message(&self, lang: Lang) -> String {
        let label = match field_label(self.field, lang) {
            "" => self.field,
            label => label,
        };
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
            Problem::Format => format_expectation(self.field, lang).to_owned(),
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
        };
        format!("{label}: {reason}")
    }
}

/// The label of a field in forms and messages; "" for a field without a label (the message then
/// uses the field name itself).
pub fn field_label(field: &str, lang: Lang) -> &'static str {
    let (el, en) = match field {
        "afm" => ("ΑΦΜ", "Tax number (AFM)"),
        "id_card" => ("ΑΔΤ", "ID card number (ADT)"),
        "email" => ("Email", "Email"),
        "mobile" => ("Κινητό τηλέφωνο", "Mobile phone"),
        "username" => ("Όνομα χρήστη", "Username"),
        "surname" => ("Επώνυμο", "Surname"),
        "given_name" => ("Όνομα", "First name"),
        "father_name" => ("Όνομα Πατρός", "Father's name"),
        "birth_date" => ("Ημερομηνία γέννησης", "Date of birth"),
        "unit" => ("Οργανική μονάδα", "Organisational unit"),
        "position" => ("Θέση", "Position"),
        "reason" => ("Αιτιολογία", "Reason"),
        "password" => ("Κωδικός", "Password"),
        "code" => ("Κωδικός φορέα", "Organisation code"),
        "name" => ("Επωνυμία", "Organisation name"),
        "status" => ("Κατάσταση", "Status"),
        "signing_password" => ("Κωδικός υπογραφής", "Signing password"),
        "password_confirm" => ("Επιβεβαίωση κωδικού υπογραφής", "Signing password (again)"),
        "otp_channel" => (
            "Τρόπος λήψης κωδικού μίας χρήσης",
            "One-time password channel",
        ),
        "otp" => ("Κωδικός μίας χρήσης", "One-time password"),
        "code1" => ("Πρώτος κωδικός της εφαρμογής", "First code of the app"),
        "code2" => ("Δεύτερος κωδικός της εφαρμογής", "Second code of the app"),
        "category" => ("Κατηγορία ανάκλησης", "Revocation category"),
        "description" => ("Περιγραφή", "Description"),
        _ => return "",
    };
    lang.pick(el, en)
}

/// What a field of the wrong form should look like.
fn format_expectation(field: &str, lang: Lang) -> &'static str {
    match field {
        "afm" => lang.pick(
            "πρέπει να αποτελείται από 9 ψηφία",
            "must consist of 9 digits",
        ),
        "id_card" => lang.pick(
            "πρέπει να αποτελείται από ένα ή δύο γράμματα και έξι ψηφία, π.χ. ΑΒ123456",
            "must be one or two letters followed by six digits, e.g. AB123456",
        ),
        "email" => lang.pick(
            "δεν είναι έγκυρη διεύθυνση email, π.χ. onoma@example.gr",
            "is not a valid email address, e.g. name@example.gr",
        ),
        "mobile" => lang.pick(
            "πρέπει να είναι αριθμός κινητού σε μορφή E.164, π.χ. +306912345678 \
             (οι ελληνικοί αριθμοί πρέπει να είναι κινητά, +3069…)",
            "must be a mobile number in E.164 format, e.g. +306912345678 \
             (Greek numbers must be mobiles, +3069…)",
        ),
        "username" => lang.pick(
            "επιτρέπονται μόνο λατινικά γράμματα, ψηφία, «.» και «-»· πρέπει να αρχίζει από \
             γράμμα και να τελειώνει σε γράμμα ή ψηφίο",
            "only Latin letters, digits, '.' and '-' are allowed; it must start with a letter \
             and end with a letter or digit",
        ),
        "surname" | "given_name" | "father_name" | "name" | "unit" | "position" => lang.pick(
            "περιέχει μη επιτρεπτούς χαρακτήρες ελέγχου",
            "contains control characters, which are not allowed",
        ),
        "birth_date" => lang.pick(
            "πρέπει να είναι ημερομηνία σε μορφή ΕΕΕΕ-ΜΜ-ΗΗ ή ΗΗ/ΜΜ/ΕΕΕΕ",
            "must be a date as YYYY-MM-DD or DD/MM/YYYY",
        ),
        "status" => lang.pick(
            "πρέπει να είναι ένας από τους κωδικούς καταστάσεων (π.χ. awaiting_approval) ή none",
            "must be one of the status codes (e.g. awaiting_approval) or none",
        ),
        "otp" | "code1" | "code2" => lang.pick(
            "πρέπει να αποτελείται από 6 ψηφία",
            "must consist of 6 digits",
        ),
        "category" => lang.pick(
            "πρέπει να είναι «Μετά από αίτημα υπαλλήλου» (employee_request) ή «Μετά από απόφαση \
             του φορέα/ δικαστικής αρχής/ εποπτικής αρχής» (authority_decision)",
            "must be employee_request or authority_decision",
        ),
        "otp_channel" => lang.pick(
            "επιλέξτε εφαρμογή επαλήθευσης ή email",
            "choose an authenticator app or email",
        ),
        _ => lang.pick("η μορφή δεν είναι έγκυρη", "the format is not valid"),
    }
}

/// The newtypes are strings that can only be made by parsing: serialized as the bare string,
/// shown as it, and read back with `as_str`.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        impl FromStr for $name {
            type Err = ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// ΑΦΜ

/// A Greek tax number (ΑΦΜ): nine digits, the last a check digit, not all zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Afm(String);
string_newtype!(Afm);
from_str_via_parse!(Afm);

impl Afm {
    pub const FIELD: &'static str = "afm";

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(Self::FIELD, problem);
        let s = input.trim();
        if s.is_empty() {
            return Err(err(Problem::Missing));
        }
        if s.len() != 9 || !s.bytes().all(|b| b.is_ascii_digit()) || s == "000000000" {
            return Err(err(Problem::Format));
        }
        if afm_check_digit(&s.as_bytes()[..8]) != s.as_bytes()[8] {
            return Err(err(Problem::CheckDigit));
        }
        Ok(Afm(s.to_owned()))
    }
}

/// Whether `s` (trimmed) is a valid ΑΦΜ.
pub fn is_valid_afm(s: &str) -> bool {
    Afm::parse(s).is_ok()
}

/// Appends the check digit to eight digits, making an ΑΦΜ (for demo data). The one exception:
/// "00000000" gives "000000000", which is not a valid ΑΦΜ.
///
/// # Panics
/// If `first8` is not exactly eight ASCII digits.
pub fn afm_with_check_digit(first8: &str) -> String {
    assert!(
        first8.len() == 8 && first8.bytes().all(|b| b.is_ascii_digit()),
        "afm_with_check_digit needs exactly 8 digits, got {first8:?}"
    );
    let mut afm = String::with_capacity(9);
    afm.push_str(first8);
    afm.push(char::from(afm_check_digit(first8.as_bytes())));
    afm
}

/// The check digit (as an ASCII digit) of the first eight ASCII digits of an ΑΦΜ:
/// (Σ d[i]·2^(8−i) mod 11) mod 10.
fn afm_check_digit(first8: &[u8]) -> u8 {
    let sum: u32 = first8
        .iter()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') << (8 - i))
        .sum();
    b'0' + ((sum % 11) % 10) as u8
}

// ---------------------------------------------------------------------------------------------
// ΑΔΤ

/// A Greek ID-card number (ΑΔΤ): one or two letters, Greek or Latin, then six digits. Canonical
/// form is upper case, with the Greek capitals that look like Latin ones written in Latin
/// («ΑΒ123456» and "ab123456" are both "AB123456"); other Greek letters stay Greek.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdCard(String);
string_newtype!(IdCard);
from_str_via_parse!(IdCard);

impl IdCard {
    pub const FIELD: &'static str = "id_card";

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(Self::FIELD, problem);
        let s = input.trim();
        if s.is_empty() {
            return Err(err(Problem::Missing));
        }
        // Drop accents a Greek keyboard may add («Ά»), then upper-case.
        let canonical: String = s
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_uppercase)
            .map(latin_lookalike)
            .collect();
        let letters = canonical
            .chars()
            .take_while(|c| !c.is_ascii_digit())
            .count();
        let valid = (1..=2).contains(&letters)
            && canonical.chars().take(letters).all(is_id_card_letter)
            && canonical.chars().skip(letters).count() == 6
            && canonical.chars().skip(letters).all(|c| c.is_ascii_digit());
        if !valid {
            return Err(err(Problem::Format));
        }
        Ok(IdCard(canonical))
    }
}

fn is_id_card_letter(c: char) -> bool {
    // Greek capitals Α..Ω, without the unassigned U+03A2.
    c.is_ascii_uppercase() || (('Α'..='Ω').contains(&c) && c != '\u{03A2}')
}

/// Greek capitals that look like Latin ones, written in Latin.
fn latin_lookalike(c: char) -> char {
    match c {
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        _ => c,
    }
}

// ---------------------------------------------------------------------------------------------
// Email

/// An email address: one '@', a local part without spaces, a domain of dot-separated labels of
/// [a-z0-9-] (stored lower case); at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);
string_newtype!(Email);
from_str_via_parse!(Email);

impl Email {
    pub const FIELD: &'static str = "email";
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
    pub const FIELD: &'static str = "mobile";

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

// ---------------------------------------------------------------------------------------------
// Username

/// A beneficiary's username: Latin letters, digits, '.' and '-'; starts with a letter, ends with
/// a letter or digit; 5 to 20 characters; stored lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);
string_newtype!(Username);
from_str_via_parse!(Username);

impl Username {
    pub const FIELD: &'static str = "username";
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
    pub const FIELD: &'static str = "signing_password";
    pub const CONFIRM_FIELD: &'static str = "password_confirm";
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

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A six-digit one-time password as typed into `field` (spaces ignored).
pub fn otp_code(field: &'static str, input: &str) -> Result<String, ValidationError> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if code.is_empty() {
        return Err(ValidationError::new(field, Problem::Missing));
    }
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(field, Problem::Format));
    }
    Ok(code)
}

// ---------------------------------------------------------------------------------------------
// Names and free text

/// A person's name (surname, given name, father's name) or a similar short text: trimmed,
/// non-empty, at most 100 characters, no control characters, stored in NFC. Anything else is
/// allowed, markup included: it is escaped on output, not rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);
string_newtype!(PersonName);

impl PersonName {
    pub const MAX_LEN: usize = 100;

    /// Parses the value of `field` (e.g. "surname"), which is what the error names.
    pub fn parse(field: &'static str, input: &str) -> Result<Self, ValidationError> {
        let err = |problem| ValidationError::new(field, problem);
        let s: String = input.trim().nfc().collect();
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
    pub const FIELD: &'static str = "reason";
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn problem<T: fmt::Debug>(r: Result<T, ValidationError>) -> Problem {
        r.expect_err("should be refused").problem
    }

    #[test]
    fn afm_examples() {
        assert_eq!(Afm::parse("010509832").unwrap().as_str(), "010509832");
        assert_eq!(Afm::parse(" 010509832\n").unwrap().to_string(), "010509832");
        assert_eq!(problem(Afm::parse("010509833")), Problem::CheckDigit);
        assert_eq!(problem(Afm::parse("12345678")), Problem::Format);
        assert_eq!(problem(Afm::parse("abcdefghi")), Problem::Format);
        assert_eq!(problem(Afm::parse("0105098320")), Problem::Format);
        assert_eq!(problem(Afm::parse("000000000")), Problem::Format);
        assert_eq!(problem(Afm::parse("０１０５０９８３２")), Problem::Format); // full-width
        assert_eq!(problem(Afm::parse("  ")), Problem::Missing);
        assert!(is_valid_afm("010509832"));
        assert!(!is_valid_afm("010509833"));
        assert_eq!(afm_with_check_digit("01050983"), "010509832");
        assert_eq!("010509832".parse::<Afm>().unwrap().as_str(), "010509832");
    }

    #[test]
    fn afm_error_fields_and_messages() {
        let e = Afm::parse("010509833").unwrap_err();
        assert_eq!(e, ValidationError::new("afm", Problem::CheckDigit));
        assert_eq!(e.message(Lang::El), "ΑΦΜ: το ψηφίο ελέγχου δεν είναι σωστό");
        assert_eq!(
            e.message(Lang::En),
            "Tax number (AFM): the check digit is wrong"
        );
        assert_eq!(e.to_string(), "afm: CheckDigit");
        let e = Afm::parse("123").unwrap_err();
        assert_eq!(
            e.message(Lang::El),
            "ΑΦΜ: πρέπει να αποτελείται από 9 ψηφία"
        );
    }

    #[test]
    #[should_panic(expected = "8 digits")]
    fn afm_with_check_digit_needs_eight_digits() {
        afm_with_check_digit("1234567");
    }

    #[test]
    fn id_card_examples() {
        assert_eq!(IdCard::parse("ΑΒ123456").unwrap().as_str(), "AB123456");
        assert_eq!(IdCard::parse("ab123456").unwrap().as_str(), "AB123456");
        assert_eq!(IdCard::parse(" αβ123456 ").unwrap().as_str(), "AB123456");
        assert_eq!(IdCard::parse("Χ123456").unwrap().as_str(), "X123456");
        assert_eq!(IdCard::parse("ΦΓ123456").unwrap().as_str(), "ΦΓ123456");
        assert_eq!(IdCard::parse("φκ123456").unwrap().as_str(), "ΦK123456");
        assert_eq!(IdCard::parse("Άβ123456").unwrap().as_str(), "AB123456");
        assert_eq!(problem(IdCard::parse("AB12345")), Problem::Format);
        assert_eq!(problem(IdCard::parse("AB1234567")), Problem::Format);
        assert_eq!(problem(IdCard::parse("ABC123456")), Problem::Format);
        assert_eq!(problem(IdCard::parse("123456")), Problem::Format);
        assert_eq!(problem(IdCard::parse("A1B23456")), Problem::Format);
        assert_eq!(problem(IdCard::parse("A-123456")), Problem::Format);
        assert_eq!(problem(IdCard::parse("Д123456")), Problem::Format);
        assert_eq!(problem(IdCard::parse("")), Problem::Missing);
        let e = IdCard::parse("A1").unwrap_err();
        assert!(
            e.message(Lang::El)
                .contains("ένα ή δύο γράμματα και έξι ψηφία")
        );
        assert!(e.message(Lang::En).starts_with("ID card number (ADT): "));
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

    #[test]
    fn person_name_examples() {
        let n = PersonName::parse("surname", "  Παπαδόπουλος ").unwrap();
        assert_eq!(n.as_str(), "Παπαδόπουλος");
        assert_eq!(
            PersonName::parse("surname", "<script>alert(1)</script>")
                .unwrap()
                .as_str(),
            "<script>alert(1)</script>"
        );
        // Decomposed input is stored composed.
        assert_eq!(
            PersonName::parse("given_name", "Γιάννης".nfd().collect::<String>().as_str())
                .unwrap()
                .as_str(),
            "Γιάννης"
        );
        let e = PersonName::parse("father_name", " ").unwrap_err();
        assert_eq!(e, ValidationError::new("father_name", Problem::Missing));
        assert_eq!(e.message(Lang::El), "Όνομα Πατρός: είναι υποχρεωτικό πεδίο");
        assert_eq!(e.message(Lang::En), "Father's name: this field is required");
        assert!(PersonName::parse("surname", &"Ω".repeat(100)).is_ok());
        assert_eq!(
            problem(PersonName::parse("surname", &"Ω".repeat(101))),
            Problem::TooLong { max: 100 }
        );
        assert_eq!(
            problem(PersonName::parse("surname", "Παπα\u{0}δόπουλος")),
            Problem::Format
        );
        assert_eq!(
            problem(PersonName::parse("surname", "Παπα\nδόπουλος")),
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
        let e = ValidationError::new("reason", Problem::TooLong { max: 500 });
        assert_eq!(
            e.message(Lang::El),
            "Αιτιολογία: επιτρέπονται έως 500 χαρακτήρες"
        );
        assert_eq!(
            e.message(Lang::En),
            "Reason: at most 500 characters are allowed"
        );
    }

    #[test]
    fn labels_and_unknown_fields() {
        assert_eq!(field_label("afm", Lang::El), "ΑΦΜ");
        assert_eq!(field_label("code", Lang::El), "Κωδικός φορέα");
        assert_eq!(field_label("name", Lang::El), "Επωνυμία");
        assert_eq!(field_label("birth_date", Lang::En), "Date of birth");
        assert_eq!(field_label("nope", Lang::El), "");
        let e = ValidationError::new("nope", Problem::Format);
        assert_eq!(e.message(Lang::En), "nope: the format is not valid");
    }

    proptest! {
        #[test]
        fn check_digit_makes_valid_afm(first8 in "[0-9]{8}", other in 0u8..10) {
            prop_assume!(first8 != "00000000");
            let afm = afm_with_check_digit(&first8);
            prop_assert!(is_valid_afm(&afm), "{}", afm);
            let last = afm.as_bytes()[8];
            let changed = b'0' + other;
            prop_assume!(changed != last);
            let wrong = format!("{first8}{}", char::from(changed));
            prop_assert_eq!(problem(Afm::parse(&wrong)), Problem::CheckDigit);
        }

        #[test]
        fn parsers_never_panic(s in any::<String>()) {
            let _ = Afm::parse(&s);
            let _ = IdCard::parse(&s);
            let _ = Email::parse(&s);
            let _ = Mobile::parse(&s);
            let _ = Username::parse(&s);
            let _ = PersonName::parse("surname", &s);
            let _ = Reason::parse_optional(Some(&s));
        }

        #[test]
        fn parsed_values_reparse_to_themselves(s in "[A-Za-zΑ-ΡΣ-Ωα-ω]{1,2}[0-9]{6}") {
            let id = IdCard::parse(&s).unwrap();
            prop_assert_eq!(IdCard::parse(id.as_str()).unwrap(), id);
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
        assert_eq!(short.field, "signing_password");
        assert_eq!(
            short.message(Lang::El),
            "Κωδικός υπογραφής: απαιτούνται τουλάχιστον 10 χαρακτήρες"
        );
        let differs = SigningPassword::parse("0123456789", "0123456780").unwrap_err();
        assert_eq!(differs.field, "password_confirm");
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
        assert_eq!(otp_code("otp", " 123 456 ").unwrap(), "123456");
        assert_eq!(otp_code("otp", "").unwrap_err().problem, Problem::Missing);
        let bad = otp_code("otp", "12345a").unwrap_err();
        assert_eq!(
            bad.message(Lang::El),
            "Κωδικός μίας χρήσης: πρέπει να αποτελείται από 6 ψηφία"
        );
        assert_eq!(
            ValidationError::new("otp", Problem::Incorrect).message(Lang::En),
            "One-time password: is not correct"
        );
    }
}
