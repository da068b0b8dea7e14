//! The search box: `text::query_tokens` (what `q` becomes, in `web::console::search::
//! employee_query`) and `text::name_keys` (the keys stored for a name, in
//! `store::sql::employees`). Tokens are at most `MAX_QUERY_TOKENS`, non-empty, without whitespace
//! and fold to themselves; keys are non-empty, distinct and fold to themselves; the store's prefix
//! range [token, `text::prefix_end(token)`) holds exactly the keys the token prefixes; and a name
//! is found by what its own spelling gives in the search box (each token prefixes one of its
//! keys).
#![no_main]

use certdesk_domain::text::{MAX_QUERY_TOKENS, fold, name_keys, prefix_end, query_tokens};
use libfuzzer_sys::fuzz_target;

// The input is the name, a newline and the query; without a newline, it is both.
fuzz_target!(|input: &str| {
    let (name, q) = input.split_once('\n').unwrap_or((input, input));
    let tokens = query_tokens(q);
    assert!(tokens.len() <= MAX_QUERY_TOKENS);
    for t in &tokens {
        assert!(
            !t.is_empty() && !t.chars().any(char::is_whitespace),
            "{q:?} -> {t:?}"
        );
        assert_eq!(&fold(t), t);
    }
    let keys = name_keys(name);
    for (i, k) in keys.iter().enumerate() {
        assert!(!k.is_empty());
        assert_eq!(&fold(k), k, "{name:?}");
        assert!(!keys[..i].contains(k), "duplicate {k:?} in {keys:?}");
    }
    let has_word = fold(name).chars().any(|c| !c.is_whitespace() && c != '-');
    assert_eq!(keys.is_empty(), !has_word, "{name:?} -> {keys:?}");
    for t in &tokens {
        let end = prefix_end(t);
        for k in &keys {
            let within = k.as_str() >= t.as_str() && end.as_deref().is_none_or(|e| k.as_str() < e);
            assert_eq!(within, k.starts_with(t.as_str()), "{t:?} {k:?} {end:?}");
        }
    }
    // The name typed into the search box as it is spelt finds it.
    for t in query_tokens(name) {
        assert!(
            keys.iter().any(|k| k.starts_with(t.as_str())),
            "{name:?}: {t:?} in {keys:?}"
        );
    }
});
