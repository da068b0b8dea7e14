//! `Afm::parse` accepts exactly the trimmed strings of nine ASCII digits, not all zeros, whose
//! last digit is the check digit (recomputed here from the rule, independently of the parser);
//! what it accepts is the trimmed input and parses again to itself; a refusal names the ΑΦΜ
//! field and the right problem.
#![no_main]

use certdesk_domain::validation::{Afm, Field, Problem, afm_with_check_digit, is_valid_afm};
use libfuzzer_sys::fuzz_target;

/// s = Σ_{i=0..7} d[i]·2^(8−i); check digit = (s mod 11) mod 10.
fn check_digit_is_right(digits: &[u8]) -> bool {
    let s: u64 = (0..8)
        .map(|i| u64::from(digits[i] - b'0') * (1u64 << (8 - i)))
        .sum();
    u64::from(digits[8] - b'0') == (s % 11) % 10
}

fuzz_target!(|input: &str| {
    let t = input.trim();
    let shaped = t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit()) && t != "000000000";
    let valid = shaped && check_digit_is_right(t.as_bytes());
    match Afm::parse(input) {
        Ok(afm) => {
            assert!(valid, "accepted {input:?}");
            assert_eq!(afm.as_str(), t);
            assert_eq!(Afm::parse(afm.as_str()), Ok(afm.clone()));
            assert_eq!(afm.as_str().parse::<Afm>(), Ok(afm.clone()));
            assert_eq!(afm_with_check_digit(&t[..8]), t);
        }
        Err(e) => {
            assert!(!valid, "refused {input:?}: {e}");
            assert_eq!(e.field, Field::Afm);
            let expected = if t.is_empty() {
                Problem::Missing
            } else if shaped {
                Problem::CheckDigit
            } else {
                Problem::Format
            };
            assert_eq!(e.problem, expected, "{input:?}");
        }
    }
    assert_eq!(is_valid_afm(input), valid);
});
