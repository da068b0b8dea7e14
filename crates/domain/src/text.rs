//! Greek text folding for search.
//!
//! Names are searched by prefix, insensitive to case, accents (τόνος, διαλυτικά) and final sigma,
//! and in Greek or in Latin letters (ELOT 743, the passport transliteration), so that
//! "papadopoulos" finds «Παπαδόπουλος». Both the stored keys and the query go through [`fold`];
//! the Latin keys come from [`to_latin`].

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for search: trims it, decomposes it (NFD), drops every combining mark (τόνος
/// U+0301, διαλυτικά U+0308, U+0344 and any other mark, including the accents of Latin letters),
/// lower-cases it, writes final ς as σ and collapses inner runs of whitespace to one space.
///
/// «Παπαδόπουλος», «ΠΑΠΑΔΟΠΟΥΛΟΣ» and «παπαδοπουλος» all fold to "παπαδοπουλοσ".
/// Folding is idempotent: `fold(&fold(s)) == fold(s)`.
pub fn fold(s: &str) -> String {
    // Lower-casing runs after the decomposition, so it sees base letters; a few characters
    // lower-case to a letter plus a mark (U+0130 İ → i + U+0307), hence the second pass.
    let letters = s
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| if c == 'ς' { 'σ' } else { c });

    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in letters {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Transliterates Greek into lower-case Latin letters by ELOT 743 (the passport rules), after
/// folding the input with [`fold`]. Characters that are not Greek letters pass through as folded.
///
/// Because [`fold`] has already removed the διαλυτικά, the digraph rules (ου, αυ, ευ, …) apply
/// even where the original spelling had a diaeresis that breaks the digraph: «Προϋπολογισμός»
/// gives "proupologismos" rather than "proypologismos". That is acceptable for search keys, as
/// query and stored key go through the same function.
pub fn to_latin(s: &str) -> String {
    let chars: Vec<char> = fold(s).chars().map(base_greek_letter).collect();
    let mut out = String::with_capacity(chars.len() + chars.len() / 2);
    let is_letter_at = |j: usize| chars.get(j).is_some_and(|c| c.is_alphabetic());

    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // The digraphs αι, ει, οι, ντ, τσ, τζ and γκ give the same letters as their two halves,
        // and their second letters start no digraph of their own, so the letter table covers
        // them. Only the digraphs below read differently from their halves.
        match (c, next) {
            ('ο', Some('υ')) => {
                out.push_str("ou");
                i += 2;
            }
            ('α' | 'ε' | 'η', Some('υ')) => {
                out.push(match c {
                    'α' => 'a',
                    'ε' => 'e',
                    _ => 'i',
                });
                let voiced = chars
                    .get(i + 2)
                    .is_some_and(|&n| is_greek_vowel(n) || "βγδζλμνρ".contains(n));
                out.push(if voiced { 'v' } else { 'f' });
                i += 2;
            }
            ('γ', Some('γ')) => {
                out.push_str("ng");
                i += 2;
            }
            ('γ', Some('χ')) => {
                out.push_str("nch");
                i += 2;
            }
            ('γ', Some('ξ')) => {
                out.push_str("nx");
                i += 2;
            }
            ('μ', Some('π')) => {
                let at_start = i == 0 || !is_letter_at(i - 1);
                let at_end = !is_letter_at(i + 2);
                out.push_str(if at_start || at_end { "b" } else { "mp" });
                i += 2;
            }
            _ => {
                match greek_letter_to_latin(c) {
                    Some(latin) => out.push_str(latin),
                    None => out.push(c),
                }
                i += 1;
            }
        }
    }
    out
}

/// The search keys of a person's name (a surname or a given name): for each word of the folded
/// name (words are split on whitespace and '-') its folded form and, when different, its Latin
/// form; and, for names of more than one word, the whole folded name (and its Latin form).
/// Deduplicated, in a stable order.
///
/// A query token (see [`query_tokens`]) matches a name when it is a prefix of one of its keys.
/// Tokens hold no whitespace and no '-', so since they are split like the words, a token that
/// prefixes a whole-name key also prefixes the first word's key.
pub fn name_keys(name: &str) -> Vec<String> {
    let folded = fold(name);
    let words: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect();

    let mut keys: Vec<String> = Vec::with_capacity(2 * words.len() + 2);
    let mut push = |key: String| {
        if !key.is_empty() && !keys.contains(&key) {
            keys.push(key);
        }
    };
    for word in &words {
        push((*word).to_owned());
        push(to_latin(word));
    }
    if words.len() > 1 {
        let latin = to_latin(&folded);
        push(folded);
        push(latin);
    }
    keys
}

/// The most tokens a search box query may have; the rest are ignored.
pub const MAX_QUERY_TOKENS: usize = 5;

/// Splits what was typed in a search box into folded tokens: on whitespace and '-', as
/// [`name_keys`] splits a name into its words, each token folded, empty ones dropped, at most
/// [`MAX_QUERY_TOKENS`]. So a name typed as it is spelt finds it: each of its tokens is one of
/// the name's word keys («Παπαδοπούλου - Γεωργίου», or a trailing '-', gave a token "-" or
/// "…-" that prefixed no key).
pub fn query_tokens(q: &str) -> Vec<String> {
    q.split(|c: char| c.is_whitespace() || c == '-')
        .map(fold)
        .filter(|t| !t.is_empty())
        .take(MAX_QUERY_TOKENS)
        .collect()
}

/// The end of the range of the strings that start with `prefix`, for a prefix search on an
/// index: a string `s` starts with `prefix` exactly when `prefix <= s` and `s < end`, comparing
/// by code point (as Rust does, and SQL's BINARY and "C" collations do on UTF-8). It is `prefix`
/// with its last character made the next one, after dropping trailing U+10FFFF (the last
/// character, which has no next); `None` when nothing is left, for then no string is above all
/// those that start with `prefix`.
///
/// The store used `prefix` + U+10FFFF, which misses the keys that go on with U+10FFFF itself
/// (found by the fuzz target `search_query`).
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Maps the symbol variants of Greek letters (ϐ, ϑ, ϕ, ϖ, ϰ, ϱ, ϵ, ϲ, ϒ) to the ordinary letters.
fn base_greek_letter(c: char) -> char {
    match c {
        'ϐ' => 'β',
        'ϑ' => 'θ',
        'ϕ' => 'φ',
        'ϖ' => 'π',
        'ϰ' => 'κ',
        'ϱ' => 'ρ',
        'ϵ' => 'ε',
        'ϲ' => 'σ',
        'ϒ' => 'υ',
        _ => c,
    }
}

fn is_greek_vowel(c: char) -> bool {
    matches!(c, 'α' | 'ε' | 'η' | 'ι' | 'ο' | 'υ' | 'ω')
}

/// ELOT 743 for a single folded (lower-case, unaccented) Greek letter.
fn greek_letter_to_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'α' => "a",
        'β' => "v",
        'γ' => "g",
        'δ' => "d",
        'ε' => "e",
        'ζ' => "z",
        'η' => "i",
        'θ' => "th",
        'ι' => "i",
        'κ' => "k",
        'λ' => "l",
        'μ' => "m",
        'ν' => "n",
        'ξ' => "x",
        'ο' => "o",
        'π' => "p",
        'ρ' => "r",
        'σ' | 'ς' => "s",
        'τ' => "t",
        'υ' => "y",
        'φ' => "f",
        'χ' => "ch",
        'ψ' => "ps",
        'ω' => "o",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spellings_of_a_surname_fold_alike() {
        for s in [
            "Παπαδόπουλος",
            "ΠΑΠΑΔΟΠΟΥΛΟΣ",
            "παπαδοπουλος",
            "ΠΑΠΑΔΌΠΟΥΛΟΣ",
            "  Παπαδόπουλοσ ",
        ] {
            assert_eq!(fold(s), "παπαδοπουλοσ", "{s}");
        }
        assert_eq!(to_latin(&fold("Παπαδόπουλος")), "papadopoulos");
        assert_eq!(fold("papadopoulos"), "papadopoulos");
    }

    #[test]
    fn fold_drops_diaeresis_and_collapses_whitespace() {
        assert_eq!(fold("Ευφροσύνη  \t Μαΐου"), "ευφροσυνη μαιου");
        assert_eq!(fold("ΐ ΰ ϊ ϋ"), "ι υ ι υ");
        assert_eq!(fold("\u{0390}"), "ι"); // ΐ, with U+0344-style dialytika tonos
        assert_eq!(fold("ι\u{0344}"), "ι");
        assert_eq!(fold("Ἀθηνᾶ ᾯ"), "αθηνα ω");
        assert_eq!(fold("  "), "");
    }

    #[test]
    fn fold_lowercases_latin_and_removes_its_accents() {
        assert_eq!(fold("José MÜLLER Ångström"), "jose muller angstrom");
        assert_eq!(fold("İstanbul"), "istanbul");
    }

    #[test]
    fn elot_743_examples() {
        let cases = [
            ("Παπαδόπουλος", "papadopoulos"),
            ("Γεωργίου", "georgiou"),
            ("Χρήστος", "christos"),
            ("Ευάγγελος", "evangelos"),
            ("Αυγερινός", "avgerinos"),
            ("Ευθυμίου", "efthymiou"),
            ("Μπακογιάννη", "bakogianni"),
            ("Λαμπράκης", "lamprakis"),
            ("Ψαρρός", "psarros"),
            ("Κωνσταντίνος", "konstantinos"),
            ("Θεοδωρόπουλος", "theodoropoulos"),
        ];
        for (greek, latin) in cases {
            assert_eq!(to_latin(&fold(greek)), latin, "{greek}");
            // to_latin folds its input itself.
            assert_eq!(to_latin(greek), latin, "{greek}");
        }
    }

    #[test]
    fn elot_743_digraphs() {
        assert_eq!(to_latin("Ναύπλιο"), "nafplio");
        assert_eq!(to_latin("Ευρυδίκη"), "evrydiki");
        assert_eq!(to_latin("Ηυ"), "if");
        assert_eq!(to_latin("αυτός"), "aftos");
        assert_eq!(to_latin("Ζευ"), "zef");
        assert_eq!(to_latin("Άγχος"), "anchos");
        assert_eq!(to_latin("Σφίγξ"), "sfinx");
        assert_eq!(to_latin("Αγκαλιά"), "agkalia");
        assert_eq!(to_latin("Τσακίρης Τζαννής"), "tsakiris tzannis");
        assert_eq!(to_latin("Καραμπ"), "karab");
        assert_eq!(to_latin("μπ-μπ"), "b-b");
        assert_eq!(
            to_latin("Οικονόμου Ξυδάκη Ωραιόπουλος"),
            "oikonomou xydaki oraiopoulos"
        );
    }

    #[test]
    fn non_greek_passes_through() {
        assert_eq!(to_latin("O'Brien 42 Ñandú"), "o'brien 42 nandu");
        assert_eq!(to_latin("Δρ. Smith"), "dr. smith");
    }

    #[test]
    fn name_keys_of_a_double_surname() {
        let keys = name_keys("Παπαδοπούλου-Γεωργίου");
        for k in [
            "παπαδοπουλου",
            "papadopoulou",
            "γεωργιου",
            "georgiou",
            "παπαδοπουλου-γεωργιου",
        ] {
            assert!(keys.contains(&k.to_owned()), "{k} in {keys:?}");
        }
        assert_eq!(keys[0], "παπαδοπουλου");
        assert_eq!(keys[1], "papadopoulou");
        let mut deduped = keys.clone();
        deduped.dedup();
        assert_eq!(deduped.len(), keys.len());
    }

    #[test]
    fn name_keys_of_single_and_latin_names() {
        assert_eq!(
            name_keys("Παπαδόπουλος"),
            vec!["παπαδοπουλοσ".to_owned(), "papadopoulos".to_owned()]
        );
        // A Latin name has no separate Latin key.
        assert_eq!(name_keys("Smith"), vec!["smith".to_owned()]);
        assert_eq!(
            name_keys(" Μαρία  Ελένη "),
            vec![
                "μαρια".to_owned(),
                "maria".to_owned(),
                "ελενη".to_owned(),
                "eleni".to_owned(),
                "μαρια ελενη".to_owned(),
                "maria eleni".to_owned(),
            ]
        );
        assert!(name_keys("  ").is_empty());
    }

    #[test]
    fn query_tokens_fold_and_limit() {
        assert_eq!(
            query_tokens("  ΠΑΠΑΔΟΠΟΥΛΟΣ   γιώργος "),
            vec!["παπαδοπουλοσ".to_owned(), "γιωργοσ".to_owned()]
        );
        assert_eq!(query_tokens("a b c d e f g").len(), MAX_QUERY_TOKENS);
        // A lone combining mark folds to nothing and is dropped.
        assert_eq!(query_tokens("\u{0301} ab"), vec!["ab".to_owned()]);
        assert!(query_tokens("   ").is_empty());
    }

    #[test]
    fn prefix_end_examples() {
        assert_eq!(prefix_end("παπα").as_deref(), Some("παπβ"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("ab\u{10FFFF}\u{10FFFF}").as_deref(), Some("ac"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
        // Found by the fuzz target `search_query`: "c" + U+10FFFF was the end of the range of
        // "c", which left out the key "c\u{10FFFF}…".
        let end = prefix_end("c").unwrap();
        assert!(*"c\u{10FFFF}παρ" < *end);
    }

    /// Found by the fuzz target `search_query`: the name «Smithα-» typed as it is spelt gave
    /// the token "smithα-", a prefix of none of its keys ("smithα", "smitha"); so did
    /// «Παπαδοπούλου - Γεωργίου» (the token "-").
    #[test]
    fn a_name_with_hyphens_is_found_as_it_is_spelt() {
        assert_eq!(query_tokens("Smithα-"), vec!["smithα".to_owned()]);
        for name in [
            "Smithα-",
            "Παπαδοπούλου - Γεωργίου",
            "Παπαδοπούλου-Γεωργίου",
            "-Μαρία",
        ] {
            let keys = name_keys(name);
            let tokens = query_tokens(name);
            assert!(!tokens.is_empty(), "{name}");
            for t in tokens {
                assert!(
                    keys.iter().any(|k| k.starts_with(&t)),
                    "{name}: {t} in {keys:?}"
                );
            }
        }
        assert_eq!(
            query_tokens("παπαδοπούλου-γεωργ"),
            vec!["παπαδοπουλου".to_owned(), "γεωργ".to_owned()]
        );
        assert!(query_tokens(" - -- ").is_empty());
    }

    #[test]
    fn latin_query_finds_greek_name() {
        let keys = name_keys("Παπαδόπουλος");
        for q in ["papad", "ΠΑΠΑΔ", "παπαδόπ"] {
            let tokens = query_tokens(q);
            assert!(
                tokens
                    .iter()
                    .all(|t| keys.iter().any(|k| k.starts_with(t.as_str()))),
                "{q}"
            );
        }
    }

    /// Strings of Greek letters, upper and lower case, with and without τόνοι and διαλυτικά,
    /// and spaces.
    fn greek_text() -> impl Strategy<Value = String> {
        let alphabet: Vec<char> = "αβγδεζηθικλμνξοπρσςτυφχψω\
             ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ\
             άέήίόύώΆΈΉΊΌΎΏϊϋΐΰΪΫ "
            .chars()
            .collect();
        proptest::collection::vec(proptest::sample::select(alphabet), 0..40)
            .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn fold_is_idempotent(s in any::<String>()) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn fold_is_idempotent_on_greek(s in greek_text()) {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn latin_of_greek_is_ascii(s in greek_text()) {
            let latin = to_latin(&s);
            prop_assert!(latin.is_ascii(), "{:?} -> {:?}", s, latin);
            prop_assert_eq!(&latin, &latin.to_ascii_lowercase());
        }

        #[test]
        fn query_tokens_are_folded_and_few(s in any::<String>()) {
            let tokens = query_tokens(&s);
            prop_assert!(tokens.len() <= MAX_QUERY_TOKENS);
            for t in tokens {
                prop_assert!(!t.is_empty());
                prop_assert!(!t.chars().any(char::is_whitespace), "{:?}", t);
                prop_assert_eq!(fold(&t), t);
            }
        }

        /// What `fold` gives: no combining mark, no final sigma, nothing that lower-cases to
        /// something else, single spaces between words; canonically equivalent spellings (NFC,
        /// NFD) and the input lower-cased first fold alike.
        #[test]
        fn fold_output_is_plain_and_normalisation_blind(
            s in prop_oneof![greek_text(), any::<String>()],
        ) {
            let folded = fold(&s);
            for c in folded.chars() {
                prop_assert!(!is_combining_mark(c), "{:?} in {:?}", c, folded);
                prop_assert!(c != 'ς');
                prop_assert!(c.to_lowercase().eq([c]), "{:?} in {:?}", c, folded);
                prop_assert!(!c.is_whitespace() || c == ' ');
            }
            prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' '));
            prop_assert!(!folded.contains("  "));
            prop_assert_eq!(&fold(&s.nfc().collect::<String>()), &folded);
            prop_assert_eq!(&fold(&s.nfd().collect::<String>()), &folded);
            prop_assert_eq!(&fold(&s.to_lowercase()), &folded);
        }

        /// `to_latin` folds its input itself, its output folds to itself and has as many words
        /// as the folded input, and no Greek letter is left in it.
        #[test]
        fn latin_is_folded_and_keeps_the_words(s in prop_oneof![greek_text(), any::<String>()]) {
            let folded = fold(&s);
            let latin = to_latin(&s);
            prop_assert_eq!(&to_latin(&folded), &latin);
            prop_assert_eq!(&fold(&latin), &latin);
            prop_assert_eq!(latin.split(' ').count(), folded.split(' ').count());
            prop_assert!(!latin.chars().any(|c| greek_letter_to_latin(base_greek_letter(c)).is_some()));
            prop_assert!(latin.chars().count() <= 2 * folded.chars().count());
            if folded.is_ascii() {
                prop_assert_eq!(&latin, &folded);
            }
        }

        /// A name's keys are non-empty, distinct and folded; and the name, typed into the
        /// search box as it is spelt (in Greek or in its Latin form), finds it: each token is a
        /// prefix of one of its keys.
        #[test]
        fn a_name_is_found_by_its_own_spelling(
            name in prop_oneof![
                greek_text(),
                "[ΑΒΓΔΕΖαβγδεζάέ -]{0,20}",
                any::<String>(),
            ],
        ) {
            let keys = name_keys(&name);
            for (i, k) in keys.iter().enumerate() {
                prop_assert!(!k.is_empty());
                prop_assert_eq!(&fold(k), k);
                prop_assert!(!keys[..i].contains(k), "{:?} twice in {:?}", k, keys);
            }
            for q in [name.clone(), to_latin(&name)] {
                for t in query_tokens(&q) {
                    prop_assert!(
                        keys.iter().any(|k| k.starts_with(t.as_str())),
                        "{:?}: token {:?} of {:?} prefixes none of {:?}", name, t, q, keys
                    );
                }
            }
        }
    }

    /// Strings of a few letters around the edges of the code points: U+D7FF, U+E000,
    /// U+10FFFF.
    fn edge_text() -> impl Strategy<Value = String> {
        let alphabet: Vec<char> =
            "ab\u{7F}\u{80}\u{D7FF}\u{E000}\u{FFFF}\u{10000}\u{10FFFE}\u{10FFFF}"
                .chars()
                .collect();
        proptest::collection::vec(proptest::sample::select(alphabet), 0..5)
            .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The range [prefix, prefix_end) holds exactly the strings that start with the prefix.
        #[test]
        fn prefix_range_holds_exactly_the_strings_with_the_prefix(
            prefix in prop_oneof![edge_text(), any::<String>()],
            rest in prop_oneof![edge_text(), any::<String>()],
            other in prop_oneof![edge_text(), any::<String>()],
        ) {
            let end = prefix_end(&prefix);
            let within = |s: &str| s >= prefix.as_str() && end.as_deref().is_none_or(|e| s < e);
            let extended = format!("{prefix}{rest}");
            prop_assert!(within(&extended), "{:?} {:?} {:?}", prefix, extended, end);
            prop_assert_eq!(within(&other), other.starts_with(prefix.as_str()), "{:?} {:?}", other, end);
        }
    }

    /// Character by character, over all of Unicode: `fold` is idempotent and gives no more
    /// characters than the canonical decomposition's letters, and `to_latin` leaves no Greek
    /// letter.
    #[test]
    fn fold_and_latin_of_every_character() {
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let s = c.to_string();
            let folded = fold(&s);
            // As many as its canonical decomposition has without marks: one, but two or three
            // for a Hangul syllable (its jamo) and two for the Kirat Rai vowels U+16D68..A.
            let letters = c
                .to_string()
                .nfd()
                .filter(|d| !is_combining_mark(*d))
                .count();
            assert!(
                folded.chars().count() <= letters.max(1),
                "{c:?} (U+{:04X}) -> {folded:?}",
                u32::from(c)
            );
            assert_eq!(fold(&folded), folded, "U+{:04X}", u32::from(c));
            let latin = to_latin(&s);
            assert!(
                !latin
                    .chars()
                    .any(|l| greek_letter_to_latin(base_greek_letter(l)).is_some()),
                "U+{:04X} -> {latin:?}",
                u32::from(c)
            );
        }
    }
}
