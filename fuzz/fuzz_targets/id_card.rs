//! `IdCard::parse`: what it accepts is canonical (one or two upper-case letters, Latin or a Greek
//! capital that has no Latin look-alike, then six ASCII digits), parses again to itself, and is
//! what the same number typed in lower case or with surrounding spaces gives; a refusal names the
//! ΑΔΤ field, `Missing` exactly when the trimmed input is empty.
#![no_main]

use certdesk_domain::validation::{Field, IdCard, Problem};
use libfuzzer_sys::fuzz_target;

/// Greek capitals that `IdCard` writes in Latin.
const LOOKALIKES: &str = "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ";

fn is_canonical_letter(c: char) -> bool {
    c.is_ascii_uppercase()
        || (('Α'..='Ω').contains(&c) && c != '\u{03A2}' && !LOOKALIKES.contains(c))
}

fuzz_target!(|input: &str| {
    match IdCard::parse(input) {
        Ok(id) => {
            let s = id.as_str();
            let letters: Vec<char> = s.chars().take_while(|c| !c.is_ascii_digit()).collect();
            let digits: Vec<char> = s.chars().skip(letters.len()).collect();
            assert!((1..=2).contains(&letters.len()), "{input:?} -> {s:?}");
            assert!(
                letters.iter().all(|&c| is_canonical_letter(c)),
                "{input:?} -> {s:?}"
            );
            assert!(
                digits.len() == 6 && digits.iter().all(char::is_ascii_digit),
                "{s:?}"
            );
            assert_eq!(IdCard::parse(s), Ok(id.clone()), "idempotent");
            assert_eq!(
                IdCard::parse(&s.to_lowercase()),
                Ok(id.clone()),
                "lower case"
            );
            assert_eq!(
                IdCard::parse(&format!(" {input}\t")),
                Ok(id.clone()),
                "spaces"
            );
        }
        Err(e) => {
            assert_eq!(e.field, Field::IdCard);
            assert_eq!(
                e.problem == Problem::Missing,
                input.trim().is_empty(),
                "{input:?}"
            );
            assert!(matches!(e.problem, Problem::Missing | Problem::Format));
        }
    }
});
