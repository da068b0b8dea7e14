//! `text::to_latin` (ELOT 743): it folds its input itself; its output folds to itself, keeps the
//! words of the folded input (one space between them, the same number of them), and holds no
//! Greek letter that has a Latin transliteration; when the folded input is made only of ASCII
//! and such Greek letters the output is lower-case ASCII; ASCII passes through as folded.
#![no_main]

use certdesk_domain::text::{fold, to_latin};
use libfuzzer_sys::fuzz_target;

/// The folded Greek letters ELOT 743 writes in Latin, with their symbol variants.
const GREEK: &str = "αβγδεζηθικλμνξοπρσςτυφχψωϐϑϕϖϰϱϵϲϒ";

fuzz_target!(|input: &str| {
    let folded = fold(input);
    let latin = to_latin(input);
    assert_eq!(to_latin(&folded), latin, "folds itself: {input:?}");
    assert_eq!(fold(&latin), latin, "folded: {input:?} -> {latin:?}");
    assert!(
        !latin.chars().any(|c| GREEK.contains(c)),
        "{input:?} -> {latin:?}"
    );
    assert_eq!(
        latin.split(' ').count(),
        folded.split(' ').count(),
        "{input:?} -> {latin:?}"
    );
    if folded.chars().all(|c| c.is_ascii() || GREEK.contains(c)) {
        assert!(latin.is_ascii(), "{input:?} -> {latin:?}");
        assert_eq!(latin, latin.to_ascii_lowercase());
    }
    if folded.is_ascii() {
        assert_eq!(latin, folded);
    }
    // Each Greek letter gives one to two Latin letters (θ, χ, ψ), γχ three.
    assert!(latin.chars().count() <= 2 * folded.chars().count());
});
