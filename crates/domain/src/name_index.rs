//! What the store keeps of a name so that a prefix search never reads more than the page it
//! shows (issue 12): two sort orders, the search keys with the ones that lead a sort order marked,
//! and the words for checking a row in passing.
//!
//! A query token `t` matches an employee when it prefixes one of the keys of [`name_keys`]. The
//! matches of the first token split in two:
//! - the **leading** ones, whose sort column (the folded surname, or its Latin form) starts with
//!   `t`: a range of the sort order's index, read in the order it is shown and stopped at the page;
//! - the others (a given name, the second word of a double surname), found through the keys that
//!   are not leading; few for a surname-like token, and when they are many they are spread over
//!   the order, so walking the order with [`SearchColumns::words`] finds a page quickly.
//!
//! A Greek token sorts by the Greek spelling; a token in Latin letters sorts by the Latin one, so
//! that its leading matches are a range too ([`SortOrder::for_token`]).
//!
//! A token of at least [`STEM_CHARS`] letters needs neither half: every key is also filed under
//! its [`stem`] with the sort columns of the stem's order ([`SearchColumns::sorted_by`]), so the
//! keys of one stem, read in their index's order, are the matches in the order shown, and a
//! search stops at the page however many there are.

use crate::text::{fold, name_keys, to_latin};

/// The order results are shown in: by surname, then given name, then id; in the Greek spelling
/// or in its ELOT 743 transliteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Greek,
    Latin,
}

/// How many leading characters of a key (or a token) its stem keeps.
pub const STEM_CHARS: usize = 3;

/// The first [`STEM_CHARS`] characters of a key or a token (all of it when shorter): a token of
/// at least that length matches only keys of its own stem.
pub fn stem(word: &str) -> &str {
    match word.char_indices().nth(STEM_CHARS) {
        Some((end, _)) => &word[..end],
        None => word,
    }
}

impl SortOrder {
    /// Latin when the (folded) token's [`stem`] is written in Latin letters: it has an ASCII
    /// letter and transliterating it changes nothing; Greek otherwise. Decided by the stem so
    /// that a token sorts like every key of its stem.
    pub fn for_token(token: &str) -> SortOrder {
        let token = stem(token);
        if token.chars().any(|c| c.is_ascii_alphabetic()) && to_latin(token) == token {
            SortOrder::Latin
        } else {
            SortOrder::Greek
        }
    }
}

/// The columns kept beside an employee's name for search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchColumns {
    /// The Greek sort order's columns: the folded surname and given name.
    pub surname_fold: String,
    pub given_fold: String,
    /// The Latin sort order's columns: their ELOT 743 transliterations.
    pub surname_latin: String,
    pub given_latin: String,
    /// Every word key, each after a space, and a space at the end: `t` prefixes a word exactly
    /// when `" " + t` occurs in it.
    pub words: String,
    /// The keys of [`name_keys`] of both names, each with whether it leads (prefixes a sort
    /// column, so that every match through it is in that order's range).
    pub keys: Vec<NameKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKey {
    pub key: String,
    pub leading: bool,
}

impl SearchColumns {
    pub fn of(surname: &str, given_name: &str) -> SearchColumns {
        let surname_fold = fold(surname);
        let given_fold = fold(given_name);
        let surname_latin = to_latin(&surname_fold);
        let given_latin = to_latin(&given_fold);
        let mut keys: Vec<NameKey> = Vec::new();
        for key in name_keys(surname).into_iter().chain(name_keys(given_name)) {
            if keys.iter().any(|k| k.key == key) {
                continue;
            }
            let leading = surname_fold.starts_with(&key) || surname_latin.starts_with(&key);
            keys.push(NameKey { key, leading });
        }
        let mut words = String::new();
        for key in &keys {
            // Whole-name keys hold a separator; a token holds none, so the word keys suffice.
            if !key.key.contains(|c: char| c.is_whitespace() || c == '-') {
                words.push(' ');
                words.push_str(&key.key);
            }
        }
        words.push(' ');
        SearchColumns {
            surname_fold,
            given_fold,
            surname_latin,
            given_latin,
            words,
            keys,
        }
    }

    /// The sort column `order` ranges over.
    pub fn sort_column(&self, order: SortOrder) -> &str {
        self.sorted_by(order).0
    }

    /// The sort columns of `order`: surname, then given name.
    pub fn sorted_by(&self, order: SortOrder) -> (&str, &str) {
        match order {
            SortOrder::Greek => (&self.surname_fold, &self.given_fold),
            SortOrder::Latin => (&self.surname_latin, &self.given_latin),
        }
    }

    /// What `key` (one of [`Self::keys`]) is filed under: its stem, and the sort columns of the
    /// stem's order.
    pub fn filing_of<'a>(&'a self, key: &'a NameKey) -> (&'a str, &'a str, &'a str) {
        let (surname, given) = self.sorted_by(SortOrder::for_token(&key.key));
        (stem(&key.key), surname, given)
    }

    /// Whether `token` matches the name: it prefixes one of its keys.
    pub fn matches(&self, token: &str) -> bool {
        self.keys.iter().any(|k| k.key.starts_with(token))
    }

    /// Whether `token` prefixes one of [`Self::words`], as the store checks a row in passing.
    pub fn words_match(&self, token: &str) -> bool {
        self.words.contains(&format!(" {token}"))
    }

    /// Whether the name is in the leading range of `token` in its sort order.
    pub fn in_leading_range(&self, token: &str) -> bool {
        self.sort_column(SortOrder::for_token(token))
            .starts_with(token)
    }

    /// Whether the name is found through a key that does not lead.
    pub fn matches_by_other_key(&self, token: &str) -> bool {
        self.keys
            .iter()
            .any(|k| !k.leading && k.key.starts_with(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::query_tokens;
    use proptest::prelude::*;

    #[test]
    fn the_script_of_the_token_picks_the_order() {
        assert_eq!(SortOrder::for_token("παπ"), SortOrder::Greek);
        assert_eq!(SortOrder::for_token("pap"), SortOrder::Latin);
        assert_eq!(SortOrder::for_token("123"), SortOrder::Greek);
        assert_eq!(SortOrder::for_token("παpα"), SortOrder::Greek);
        // The stem decides, as it does for the keys filed under it.
        assert_eq!(SortOrder::for_token("papα"), SortOrder::Latin);
    }

    #[test]
    fn a_stem_is_the_first_three_characters() {
        assert_eq!(stem("παπαδοπουλοσ"), "παπ");
        assert_eq!(stem("ηλ"), "ηλ");
        assert_eq!(stem("papadopoulos"), "pap");
        assert_eq!(stem(""), "");
    }

    #[test]
    fn a_double_surname_leads_by_its_first_word_only() {
        let c = SearchColumns::of("Παπαδοπούλου-Νικολάου", "Γεώργιος");
        assert_eq!(c.surname_fold, "παπαδοπουλου-νικολαου");
        assert_eq!(c.surname_latin, "papadopoulou-nikolaou");
        let leading: Vec<&str> = c
            .keys
            .iter()
            .filter(|k| k.leading)
            .map(|k| k.key.as_str())
            .collect();
        assert!(leading.contains(&"παπαδοπουλου"));
        assert!(leading.contains(&"papadopoulou"));
        assert!(!leading.contains(&"νικολαου") && !leading.contains(&"georgios"));
        assert_eq!(
            c.words,
            " παπαδοπουλου papadopoulou νικολαου nikolaou γεωργιοσ georgios "
        );
        assert!(c.matches_by_other_key("νικ") && !c.in_leading_range("νικ"));
        assert!(c.in_leading_range("papad") && !c.matches_by_other_key("papad"));
    }

    fn name() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "Παπαδόπουλος",
            "Παπαδοπούλου",
            "Νικολάου",
            "Γεώργιος",
            "Γεωργίου",
            "Θεοδώρου",
            "Ευαγγελία",
            "Αυγερινός",
            "Μπακογιάννη",
            "Ντόκος",
            "Smith",
            "Ψαρράς",
            "Ηλίας",
            "Ωραιόπουλος",
        ]);
        prop::collection::vec(word, 1..3).prop_map(|w| w.join("-"))
    }

    /// The tokens of `typed` and every prefix of the name's keys, as tokens.
    fn typed_and_key_prefixes(columns: &SearchColumns, typed: &str) -> Vec<String> {
        let prefixes: Vec<String> = columns
            .keys
            .iter()
            .flat_map(|k| {
                let chars: Vec<char> = k.key.chars().collect();
                (1..=chars.len()).map(move |n| chars[..n].iter().collect::<String>())
            })
            .collect();
        // One prefix at a time: a query keeps only its first few tokens.
        query_tokens(typed)
            .into_iter()
            .chain(prefixes.iter().flat_map(|p| query_tokens(p)))
            .collect()
    }

    proptest! {
        /// The store finds the matches of a token as the leading range of its order and the
        /// rows found by the other keys; together they are exactly the matches, and the words
        /// column agrees with the keys.
        #[test]
        fn the_leading_range_and_the_other_keys_are_the_matches(
            surname in name(),
            given in name(),
            typed in "[παδογνθεψωsmiptheokgr]{1,6}",
        ) {
            let columns = SearchColumns::of(&surname, &given);
            for token in typed_and_key_prefixes(&columns, &typed) {
                let found = columns.in_leading_range(&token) || columns.matches_by_other_key(&token);
                prop_assert_eq!(found, columns.matches(&token), "token {}", token);
                prop_assert_eq!(columns.words_match(&token), columns.matches(&token));
            }
        }

        /// A token of a stem's length or longer matches exactly through the keys filed under
        /// its stem, and those keys sort in the token's order, so a walk of one stem's keys in
        /// their sort columns' order finds the matches in the order shown.
        #[test]
        fn a_long_token_is_found_under_its_stem_in_its_order(
            surname in name(),
            given in name(),
            typed in "[παδογνθεψωsmiptheokgr]{1,6}",
        ) {
            let columns = SearchColumns::of(&surname, &given);
            let tokens = typed_and_key_prefixes(&columns, &typed);
            for token in tokens.into_iter().filter(|t| t.chars().count() >= STEM_CHARS) {
                let under_stem: Vec<&NameKey> =
                    columns.keys.iter().filter(|k| stem(&k.key) == stem(&token)).collect();
                let found = under_stem.iter().any(|k| k.key.starts_with(&token));
                prop_assert_eq!(found, columns.matches(&token), "token {}", token);
                for key in under_stem {
                    prop_assert_eq!(SortOrder::for_token(&key.key), SortOrder::for_token(&token));
                }
            }
        }
    }
}
