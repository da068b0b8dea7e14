//! `text::fold`: idempotent; its output has no combining mark, no final sigma, nothing that
//! lower-cases to something else, no whitespace but single spaces between words; canonically
//! equivalent inputs (NFC, NFD) fold alike, and so does the input lower-cased first; and it is
//! never longer in characters than the input's canonical decomposition without its marks (which
//! can be longer than the input: Hangul syllables, the Kirat Rai vowels U+16D68..A).
#![no_main]

use certdesk_domain::text::fold;
use libfuzzer_sys::fuzz_target;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

fuzz_target!(|input: &str| {
    let folded = fold(input);
    assert_eq!(fold(&folded), folded, "idempotent: {input:?}");
    for c in folded.chars() {
        assert!(!is_combining_mark(c), "mark {c:?} in {folded:?}");
        assert_ne!(c, 'ς');
        assert!(
            c.to_lowercase().eq(std::iter::once(c)),
            "{c:?} lower-cases in {folded:?}"
        );
        assert!(!c.is_whitespace() || c == ' ', "{c:?}");
    }
    assert!(!folded.starts_with(' ') && !folded.ends_with(' ') && !folded.contains("  "));
    let letters = input.nfd().filter(|c| !is_combining_mark(*c)).count();
    assert!(folded.chars().count() <= letters, "{input:?} -> {folded:?}");
    assert_eq!(
        fold(&input.nfc().collect::<String>()),
        folded,
        "NFC: {input:?}"
    );
    assert_eq!(
        fold(&input.nfd().collect::<String>()),
        folded,
        "NFD: {input:?}"
    );
    assert_eq!(
        fold(&input.to_lowercase()),
        folded,
        "lower-cased first: {input:?}"
    );
});
