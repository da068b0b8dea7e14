//! Reading and writing the cookies of the console and the portal, and the language switch's.
//! Callers name a cookie by its base name; [`name`] makes the name it has on the wire.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use certdesk_domain::Lang;

/// The language switch's cookie.
pub const LANG_COOKIE: &str = "certdesk_lang";

/// The prefix of cookies under TLS.
const HOST_PREFIX: &str = "__Host-";

/// The name cookie `base` has on the wire. Under TLS it is `__Host-base`: browsers accept such a
/// cookie only with `Secure`, `Path=/` and no `Domain`, so neither a plain-HTTP page nor a
/// sibling subdomain can plant or overwrite it (session fixation, CSRF-token injection).
pub fn name(base: &str, secure: bool) -> String {
    if secure {
        format!("{HOST_PREFIX}{base}")
    } else {
        base.to_owned()
    }
}

/// The language of a page: the switch's cookie, else Greek.
pub fn page_lang(headers: &HeaderMap, secure: bool) -> Lang {
    cookie(headers, LANG_COOKIE, secure)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or_default()
}

/// The value of cookie `base` (its name on the wire: [`name`]) in the request, if any.
pub fn cookie(headers: &HeaderMap, base: &str, secure: bool) -> Option<String> {
    let name = name(base, secure);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value for cookie `base` (named by [`name`]): HttpOnly, SameSite=Lax, Path=/
/// and no Domain, and Secure when served over TLS. `max_age` of `Some(0)` deletes the cookie;
/// `None` makes a browser-session cookie.
pub fn set_cookie(base: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax",
        name(base, secure)
    );
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; certdesk_session=abc; b=2".parse().unwrap());
        assert_eq!(
            cookie(&headers, "certdesk_session", false).as_deref(),
            Some("abc")
        );
        assert_eq!(cookie(&headers, "missing", false), None);
    }

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let c = set_cookie("s", "v", None, false);
        assert_eq!(c, "s=v; Path=/; HttpOnly; SameSite=Lax");
    }

    #[test]
    fn under_tls_cookies_are_host_prefixed_and_secure() {
        assert_eq!(name("certdesk_session", true), "__Host-certdesk_session");
        assert_eq!(name("certdesk_session", false), "certdesk_session");
        let c = set_cookie("s", "v", Some(60), true);
        assert_eq!(
            c,
            "__Host-s=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert!(!c.contains("Domain"));
    }

    #[test]
    fn under_tls_only_the_prefixed_cookie_counts() {
        // A cookie without the prefix may come from a plain-HTTP page or a subdomain.
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "certdesk_session=planted".parse().unwrap());
        assert_eq!(cookie(&headers, "certdesk_session", true), None);
        headers.insert(COOKIE, "__Host-certdesk_session=abc".parse().unwrap());
        assert_eq!(
            cookie(&headers, "certdesk_session", true).as_deref(),
            Some("abc")
        );
        assert_eq!(cookie(&headers, "certdesk_session", false), None);
    }
}
