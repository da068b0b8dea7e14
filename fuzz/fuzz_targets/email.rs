//! `Email::parse` and `Mobile::parse`. An accepted email has one '@', a non-empty local part
//! without whitespace or control characters, a lower-case domain of dot-separated labels of
//! [a-z0-9-] (none empty, none starting or ending with '-', at most 63 bytes), at most 254
//! characters, and parses again to itself. An accepted mobile is E.164 ('+' and 8 to 15 digits,
//! a Greek one "+3069" and eight digits) and parses again to itself.
#![no_main]

use certdesk_domain::validation::{Email, Field, Mobile, Problem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    match Email::parse(input) {
        Ok(email) => {
            let s = email.as_str();
            assert!(s.chars().count() <= Email::MAX_LEN, "{s:?}");
            assert_eq!(s.matches('@').count(), 1, "{s:?}");
            let (local, domain) = s.split_once('@').unwrap();
            assert!(!local.is_empty());
            assert!(
                !local.chars().any(|c| c.is_whitespace() || c.is_control()),
                "{s:?}"
            );
            assert!(domain.contains('.'), "{s:?}");
            for label in domain.split('.') {
                assert!(!label.is_empty() && label.len() <= 63, "{s:?}");
                assert!(
                    label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                );
                assert!(!label.starts_with('-') && !label.ends_with('-'), "{s:?}");
            }
            assert_eq!(Email::parse(s), Ok(email.clone()));
            // The domain's case does not matter; the local part is kept as typed.
            assert_eq!(
                Email::parse(&format!("{local}@{}", domain.to_ascii_uppercase())),
                Ok(email.clone())
            );
        }
        Err(e) => {
            assert_eq!(e.field, Field::Email);
            assert_eq!(
                e.problem == Problem::Missing,
                input.trim().is_empty(),
                "{input:?}"
            );
        }
    }
    match Mobile::parse(input) {
        Ok(mobile) => {
            let s = mobile.as_str();
            let digits = s.strip_prefix('+').expect("starts with +");
            assert!((8..=15).contains(&digits.len()), "{s:?}");
            assert!(digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'));
            if digits.starts_with("30") {
                assert!(digits.starts_with("3069") && digits.len() == 12, "{s:?}");
            }
            assert_eq!(Mobile::parse(s), Ok(mobile.clone()));
        }
        Err(e) => assert_eq!(e.field, Field::Mobile),
    }
});
