//! The language switch (`/lang/{code}?next=…`) of the console and the portal: it sets the
//! language cookie and goes back to the page it was clicked on, which must be on this site.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use certdesk_domain::Lang;
use serde::Deserialize;

use crate::AppState;
use crate::cookies::{LANG_COOKIE, set_cookie};

#[derive(Deserialize)]
pub struct NextPage {
    next: Option<String>,
}

pub async fn switch_language(
    Path(code): Path<String>,
    Query(next): Query<NextPage>,
    State(state): State<AppState>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let target = next.next.as_deref().and_then(same_site_path).unwrap_or("/");
    (
        [(
            header::SET_COOKIE,
            set_cookie(
                LANG_COOKIE,
                lang.code(),
                Some(365 * 24 * 3600),
                state.config.secure_cookies,
            ),
        )],
        Redirect::to(target),
    )
        .into_response()
}

/// `next` if a browser following it as a `Location` stays on this site, else `None` (the switch
/// must not be an open redirect). A path must start with one `/`: `//host` and `/\host` are
/// other hosts to browsers, which also drop tabs and newlines from URLs before parsing them
/// (`/\t/host` is `//host`) and may decode once more what a proxy decoded; so no control
/// character, whitespace or backslash either, in `next` or in its percent-decoding.
pub fn same_site_path(next: &str) -> Option<&str> {
    let decoded = percent_encoding::percent_decode_str(next).decode_utf8_lossy();
    (plain_local_path(next) && plain_local_path(&decoded)).then_some(next)
}

fn plain_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::same_site_path;

    #[test]
    fn pages_of_this_site_are_followed() {
        for next in [
            "/",
            "/employees",
            "/employees/42/cancel",
            "/employees?q=%CF%80%CE%B1%CF%80&status=issued",
            "/portal",
            "/employees?q=παπαδόπουλος",
            "/a/b//c",
        ] {
            assert_eq!(same_site_path(next), Some(next), "{next:?}");
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_is_refused() {
        for next in [
            "",
            "evil.example",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/\n/evil.example",
            "/%0a/evil.example",
            "/%0D%0A/evil.example",
            "/\r\nLocation: https://evil.example",
            "/%2F/evil.example",
            "/%2f/evil.example",
            "/%5C/evil.example",
            "/%5cevil.example",
            "/ /evil.example",
            "/%20/evil.example",
            "/\u{a0}/evil.example",
            "/%C2%A0/evil.example",
            "/\u{2028}/evil.example",
            "/\u{0}/evil.example",
            "/%00/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
        ] {
            assert_eq!(same_site_path(next), None, "{next:?}");
        }
    }
}
