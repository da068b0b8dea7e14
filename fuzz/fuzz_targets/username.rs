//! `Username::parse`: what it accepts is 5 to 20 of [a-z0-9.-], a letter first and a letter or
//! digit last, parses again to itself, and the answer does not depend on the case of ASCII
//! letters; a refusal names the username field, `Missing` exactly when the trimmed input is empty.
#![no_main]

use certdesk_domain::validation::{Field, Problem, Username};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let parsed = Username::parse(input);
    assert_eq!(
        Username::parse(&input.to_ascii_uppercase()),
        parsed,
        "{input:?}"
    );
    match parsed {
        Ok(u) => {
            let s = u.as_str();
            let b = s.as_bytes();
            assert!(
                (Username::MIN_LEN..=Username::MAX_LEN).contains(&s.len()),
                "{s:?}"
            );
            assert!(
                b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b".-".contains(c)),
                "{s:?}"
            );
            assert!(b[0].is_ascii_lowercase() && b[b.len() - 1].is_ascii_alphanumeric());
            assert_eq!(s, input.trim().to_ascii_lowercase());
            assert_eq!(Username::parse(s), Ok(u.clone()));
        }
        Err(e) => {
            assert_eq!(e.field, Field::Username);
            assert_eq!(
                e.problem == Problem::Missing,
                input.trim().is_empty(),
                "{input:?}"
            );
        }
    }
});
