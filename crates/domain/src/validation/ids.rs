//! Identity numbers: the tax number (ΑΦΜ) and the ID-card number (ΑΔΤ).

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{Field, Problem, ValidationError};

/// A Greek tax number (ΑΦΜ): nine digits, the last a check digit, not all zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Afm(String);
string_newtype!(Afm);
from_str_via_parse!(Afm);

impl Afm {
    pub const FIELD: Field = Field::Afm;

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

/// A Greek ID-card number (ΑΔΤ): one or two letters, Greek or Latin, then six digits. Canonical
/// form is upper case, with the Greek capitals that look like Latin ones written in Latin
/// («ΑΒ123456» and "ab123456" are both "AB123456"); other Greek letters stay Greek.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdCard(String);
string_newtype!(IdCard);
from_str_via_parse!(IdCard);

impl IdCard {
    pub const FIELD: Field = Field::IdCard;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use proptest::prelude::*;

    fn problem<T: std::fmt::Debug>(r: Result<T, ValidationError>) -> Problem {
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
        assert_eq!(e, ValidationError::new(Field::Afm, Problem::CheckDigit));
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

    proptest! {
        #[test]
        /// Every other last digit is a wrong check digit (`shift` is never 0, so no case is
        /// thrown away).
        fn check_digit_makes_valid_afm(n in 1u32..100_000_000, shift in 1u8..10) {
            // Any eight digits but "00000000", the one exception of `afm_with_check_digit`.
            let first8 = format!("{n:08}");
            let afm = afm_with_check_digit(&first8);
            prop_assert!(is_valid_afm(&afm), "{}", afm);
            let last = afm.as_bytes()[8] - b'0';
            let changed = char::from(b'0' + (last + shift) % 10);
            let wrong = format!("{first8}{changed}");
            prop_assert_eq!(problem(Afm::parse(&wrong)), Problem::CheckDigit);
        }

        #[test]
        fn parsed_values_reparse_to_themselves(s in "[A-Za-zΑ-ΡΣ-Ωα-ω]{1,2}[0-9]{6}") {
            let id = IdCard::parse(&s).unwrap();
            prop_assert_eq!(IdCard::parse(id.as_str()).unwrap(), id);
        }

        /// `Afm::parse` accepts exactly what the rule (recomputed here, not through
        /// `afm_check_digit`) says, gives the trimmed input, and names the right problem.
        #[test]
        fn afm_accepts_exactly_the_rule(
            s in prop_oneof![" ?[0-9]{8,10} ?", "[0-9a ]{0,11}", any::<String>()],
        ) {
            let t = s.trim();
            let shaped = t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit()) && t != "000000000";
            let rule = |d: &[u8]| {
                let sum: u64 = (0..8).map(|i| u64::from(d[i] - b'0') * (1 << (8 - i))).sum();
                u64::from(d[8] - b'0') == sum % 11 % 10
            };
            let valid = shaped && rule(t.as_bytes());
            match Afm::parse(&s) {
                Ok(afm) => {
                    prop_assert!(valid, "{:?}", s);
                    prop_assert_eq!(afm.as_str(), t);
                    prop_assert_eq!(Afm::parse(afm.as_str()), Ok(afm.clone()));
                }
                Err(e) => {
                    prop_assert!(!valid, "{:?}", s);
                    let expected = if t.is_empty() {
                        Problem::Missing
                    } else if shaped {
                        Problem::CheckDigit
                    } else {
                        Problem::Format
                    };
                    prop_assert_eq!(e, ValidationError::new(Field::Afm, expected));
                }
            }
        }

        /// Whatever the input, an accepted ΑΔΤ is canonical: one or two letters (Latin, or a
        /// Greek capital without a Latin look-alike) and six digits; it parses to itself, and
        /// the same number in lower case or between spaces gives it too.
        #[test]
        fn id_card_canonical_form_is_idempotent(
            s in prop_oneof![
                " ?[A-Za-zΑ-Ωα-ωάέήίόύώΆΈΉΊΌΎΏßﬀ]{0,3}[0-9]{5,7} ?",
                any::<String>(),
            ],
        ) {
            match IdCard::parse(&s) {
                Ok(id) => {
                    let c = id.as_str();
                    let letters: Vec<char> = c.chars().take_while(|c| !c.is_ascii_digit()).collect();
                    prop_assert!((1..=2).contains(&letters.len()), "{:?} -> {:?}", s, c);
                    for l in &letters {
                        prop_assert!(
                            l.is_ascii_uppercase()
                                || (is_id_card_letter(*l) && latin_lookalike(*l) == *l),
                            "{:?} -> {:?}", s, c
                        );
                    }
                    let digits = &c[c.len() - 6..];
                    prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{:?}", c);
                    prop_assert_eq!(c.chars().count(), letters.len() + 6);
                    prop_assert_eq!(IdCard::parse(c), Ok(id.clone()));
                    prop_assert_eq!(IdCard::parse(&c.to_lowercase()), Ok(id.clone()));
                    prop_assert_eq!(IdCard::parse(&format!(" {s}\t")), Ok(id.clone()));
                }
                Err(e) => {
                    prop_assert_eq!(e.field, Field::IdCard);
                    prop_assert_eq!(e.problem == Problem::Missing, s.trim().is_empty());
                }
            }
        }
    }
}
